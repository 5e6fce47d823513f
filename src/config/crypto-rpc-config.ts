import { z } from 'zod';
import { upstreamEndpoint } from './engine-config.ts';

// `cryptoRpc:` in rialto.yaml: the networks POST /crypto/rpc/{network} relays to, the operator's own nodes for each
// (docs/wallets.md, "Crypto RPC proxy"). Node URLs come from here only, never from a request (no SSRF through it).

/** Venice's network slugs are lower-case words joined by dashes (base-sepolia, solana-devnet). */
const networkSlug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a network slug is lower-case words joined by -')
  .max(64);

const rpcNetwork = z.strictObject({
  /** Which methods its nodes answer: `evm` (eth_*, trace_*, …), `solana` or `starknet` (starknet_*). */
  family: z.enum(['evm', 'solana', 'starknet']).default('evm'),
  /**
   * Credits per standard call (rpc.mdx: 20 for Ethereum, EVM L2s and Starknet; 30 for zkSync Era and Solana);
   * default 30 for `solana` and slugs starting `zksync-`, else 20.
   */
  baseCredits: z.number().int().min(1).optional(),
  /**
   * The nodes, tried in order of health and weight (failover before any byte reached the client). A URL may carry
   * credentials (`https://user:password@host`, sent as Basic auth; a key in the path or query, sent as is) — they are
   * redacted wherever a URL is shown. `apiKey` is sent as a Bearer token.
   */
  nodes: z.array(upstreamEndpoint).min(1),
});

export const cryptoRpcConfig = z
  .strictObject({
    /** Network slug → its nodes. None: GET /crypto/rpc/networks lists nothing and every network is refused. */
    networks: z.record(networkSlug, rpcNetwork).default({}),
    /** USD and DIEM per credit (rpc.mdx: ~$6.25e-7 on Venice). */
    pricePerCredit: z
      .strictObject({ usd: z.number().min(0), diem: z.number().min(0) })
      .default({ usd: 0.000000625, diem: 0.000000625 }),
    /** Credits of a batch item (or single call) the node answered with a JSON-RPC `error` (rpc.mdx: 5). */
    errorCredits: z.number().int().min(0).default(5),
    /** A node's answer must come within this (then the next node is not tried: the call may have been applied). */
    timeoutMs: z.number().int().positive().default(30_000),
    /** Connections kept open per node. */
    maxConnections: z.number().int().positive().default(16),
    /** A node's answer larger than this is refused (500), not parsed. */
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    /** Answers kept for Idempotency-Key replays (24 hours each, in this process), oldest out first past this. */
    idempotencyCacheBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024),
  })
  .default({
    networks: {},
    pricePerCredit: { usd: 0.000000625, diem: 0.000000625 },
    errorCredits: 5,
    timeoutMs: 30_000,
    maxConnections: 16,
    maxResponseBytes: 16 * 1024 * 1024,
    idempotencyCacheBytes: 64 * 1024 * 1024,
  });

export type CryptoRpcConfig = z.infer<typeof cryptoRpcConfig>;
export type RpcNetworkConfig = CryptoRpcConfig['networks'][string];
