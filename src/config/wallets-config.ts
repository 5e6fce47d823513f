import { z } from 'zod';

// `wallets:` in rialto.yaml: x402 wallet sign-in (SIWx), the wallet ledger and x402 top-ups (docs/wallets.md).
// Amounts are USD; Venice's figures are the defaults (INVENTORY §6.1, swagger x402 top-up x-payment-info).

/** CAIP-2 network id: `eip155:<chain id>` (Base eip155:8453, Base Sepolia eip155:84532, a local chain) or `solana:<genesis>`. */
const caip2 = z
  .string()
  .regex(
    /^(eip155:[1-9][0-9]{0,15}|solana:[1-9A-HJ-NP-Za-km-z]{32,44})$/,
    'a CAIP-2 id such as eip155:8453 or solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
  );

const address = z
  .string()
  .regex(
    /^(0x[a-fA-F0-9]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$/,
    'an EVM (0x…) or Solana (base58) address',
  );

const network = z.strictObject({
  /** CAIP-2 id, e.g. eip155:8453. */
  id: caip2,
  /** The payment token: its contract (or SPL mint), decimals, and its EIP-712 domain name and version (USDC: "USD Coin", "2"). */
  token: z.strictObject({
    address,
    decimals: z.number().int().min(0).max(18).default(6),
    name: z.string().min(1).default('USD Coin'),
    version: z.string().min(1).default('2'),
  }),
  /** The operator's receiving address on this network (x402 `payTo`). */
  payTo: address,
  /**
   * The network's JSON-RPC URL: EIP-1271 (contract wallet) sign-ins are checked through it, the `local`
   * facilitator settles through it, and top-ups whose settlement answer is lost are reconciled from it (EVM and
   * Solana). Without it, only EOA (EIP-191) signatures are accepted on this network and nothing is reconciled.
   */
  rpcUrl: z.url().optional(),
  /** Solana: the fee payer the facilitator names (x402 `extra.feePayer`). */
  feePayer: z.string().optional(),
});

const facilitator = z.discriminatedUnion('kind', [
  /** An x402 facilitator speaking POST /verify and /settle (and GET /supported). */
  z.strictObject({
    kind: z.literal('url'),
    url: z.url(),
    /** A bearer token sent to the facilitator, taken from this environment variable (never from the file). */
    tokenEnv: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().default(30_000),
  }),
  /**
   * Rialto verifies and settles EVM payments itself (`transferWithAuthorization` through each network's rpcUrl),
   * paying gas from the settlement key read from the environment variable `settlementKeyEnv`.
   */
  z.strictObject({
    kind: z.literal('local'),
    settlementKeyEnv: z.string().min(1).default('RIALTO_SETTLEMENT_KEY'),
  }),
]);

const evmAddress = z.string().regex(/^0x[a-fA-F0-9]{40}$/, 'an EVM address (0x + 40 hex digits)');
const limitCap = z.number().min(0).max(9_999_999_999).nullable().default(null);

/**
 * POST /api_keys/generate_web3_key (docs/wallets.md "Wallet-minted API keys"): a wallet that signs a token from
 * GET /api_keys/generate_web3_key gets an API key in its own account when it passes `rule`.
 */
const web3Keys = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** CAIP-2 EVM network (eip155:<id>): ERC-20 balances are read and EIP-1271 signatures checked on it. */
    network: z
      .string()
      .regex(/^eip155:[1-9][0-9]{0,15}$/, 'an EVM CAIP-2 id such as eip155:8453')
      .optional(),
    /** The network's JSON-RPC URL; default the rpcUrl of the same id in wallets.networks. */
    rpcUrl: z.url().optional(),
    /** Who may mint: holders of at least `minimum` (whole tokens, decimal text) of an ERC-20, or listed wallets. */
    rule: z.union([
      z.strictObject({
        erc20: z.strictObject({
          token: evmAddress,
          /** Whole tokens as decimal text ("1", "0.5"); compared with balanceOf in base units. */
          minimum: z
            .string()
            .regex(/^(0|[1-9][0-9]{0,30})(\.[0-9]{1,18})?$/, 'a decimal such as "100" or "0.5"'),
          decimals: z.number().int().min(0).max(36).default(18),
        }),
      }),
      z.strictObject({ allowList: z.array(evmAddress).min(1).max(10_000) }),
    ]),
    /** The key types a wallet may ask for (apiKeyType); others are refused with 400. */
    keyTypes: z
      .array(z.enum(['INFERENCE', 'ADMIN']))
      .min(1)
      .default(['INFERENCE']),
    /** The most a minted key may spend per limit period; a request may ask for less, never more. */
    consumptionLimit: z
      .strictObject({ usd: limitCap, diem: limitCap })
      .default({ usd: null, diem: null }),
    /** How long a GET token may be signed and sent back (single use). */
    tokenTtlSeconds: z.number().int().min(30).max(3600).default(300),
  })
  .refine((keys) => !keys.enabled || keys.network !== undefined, {
    message: 'web3Keys.enabled needs web3Keys.network',
  });
export type Web3KeysConfig = z.infer<typeof web3Keys>;

export const WALLETS_DEFAULTS = {
  enabled: false,
  networks: [],
  facilitator: { kind: 'local', settlementKeyEnv: 'RIALTO_SETTLEMENT_KEY' },
  minimumBalanceUsd: 0.1,
  minimumTopUpUsd: 5,
  suggestedTopUpUsd: 10,
  maximumTopUpUsd: 10_000,
  signInMaxAgeSeconds: 300,
  paymentTimeoutSeconds: 300,
  reconcileIntervalSeconds: 60,
} as const;

export const walletsConfig = z
  .strictObject({
    /** Off by default: then requests without a key get today's 401 and /x402/* answers 404. */
    enabled: z.boolean().default(false),
    /** The networks payments and sign-ins are accepted on. */
    networks: z.array(network).default([]),
    facilitator: facilitator.default(WALLETS_DEFAULTS.facilitator),
    /**
     * The origin SIWx messages must name (`domain` is its host, `uri` must share its origin), e.g.
     * https://api.example.com; default server.publicUrl, else http://<host>:<port>.
     */
    origin: z.url().optional(),
    /** A wallet below this balance cannot consume (canConsume false; inference answers 402). */
    minimumBalanceUsd: z.number().min(0).default(WALLETS_DEFAULTS.minimumBalanceUsd),
    minimumTopUpUsd: z.number().positive().default(WALLETS_DEFAULTS.minimumTopUpUsd),
    suggestedTopUpUsd: z.number().positive().default(WALLETS_DEFAULTS.suggestedTopUpUsd),
    maximumTopUpUsd: z.number().positive().max(1_000_000).default(WALLETS_DEFAULTS.maximumTopUpUsd),
    /** A SIWx message is good this long after its Issued At (Venice: 5 minutes); its nonce is single-use. */
    signInMaxAgeSeconds: z.number().int().min(10).max(3600).default(300),
    /** x402 `maxTimeoutSeconds` of the payment requirements. */
    paymentTimeoutSeconds: z.number().int().min(10).max(86_400).default(300),
    /**
     * How often top-ups left pending (a facilitator's answer lost, a process killed) are reconciled from the chain
     * while Rialto runs; a row is left alone this long after it was recorded (another replica may be settling it).
     */
    reconcileIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(WALLETS_DEFAULTS.reconcileIntervalSeconds),
    /** Off unless configured: wallet-minted API keys (GET/POST /api_keys/generate_web3_key). */
    web3Keys: web3Keys.optional(),
  })
  .refine((wallets) => wallets.minimumTopUpUsd <= wallets.maximumTopUpUsd, {
    message: 'minimumTopUpUsd must not exceed maximumTopUpUsd',
  })
  .refine((wallets) => !wallets.enabled || wallets.networks.length > 0, {
    message: 'wallets.enabled needs at least one network',
  })
  .refine(
    (wallets) =>
      wallets.facilitator.kind !== 'local' ||
      wallets.networks.every(
        (entry) => entry.id.startsWith('eip155:') && entry.rpcUrl !== undefined,
      ),
    {
      message:
        "the 'local' facilitator settles EVM payments only, through each network's rpcUrl (Solana needs a facilitator url)",
    },
  )
  .refine(
    (wallets) =>
      !wallets.web3Keys?.enabled ||
      wallets.web3Keys.rpcUrl !== undefined ||
      wallets.networks.some(
        (entry) => entry.id === wallets.web3Keys?.network && entry.rpcUrl !== undefined,
      ),
    { message: 'web3Keys needs an rpcUrl: its own, or that of its network in wallets.networks' },
  )
  .default({ ...WALLETS_DEFAULTS, networks: [] });

export type WalletsConfig = z.infer<typeof walletsConfig>;
export type WalletNetworkConfig = WalletsConfig['networks'][number];
