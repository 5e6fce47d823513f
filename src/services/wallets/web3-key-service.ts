import { createHash, randomBytes } from 'node:crypto';
import { type Address, createPublicClient, type Hex, http, parseUnits, verifyMessage } from 'viem';
import { z } from 'zod';
import type { Web3KeysConfig } from '../../config/wallets-config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import {
  apiKeyType,
  consumptionLimit,
  expiresAt,
  limitPeriod,
  modelPrivacy,
} from '../../schemas/api-keys.ts';
import type { CreatedApiKey } from '../../schemas/api-keys-response.ts';
import type { WalletRepository } from '../../storage/wallet-store.ts';
import { createdKeyView, limitsToNanos } from '../api-key-views.ts';
import type { KeyService } from '../key-service.ts';
import { walletIdOf } from './wallet-id.ts';

// GET/POST /api_keys/generate_web3_key (swagger getApiKeyGenerateWeb3Key, postApiKeyGenerateWeb3Key; Venice's
// guide docs/guides/integrations/generating-api-key-agent.mdx): a wallet signs (EIP-191 personal_sign) a token this
// server issued, and gets an API key in the account of that wallet when it passes the operator's rule.

/** swagger: postApiKeyGenerateWeb3Key body (additionalProperties: false). */
export const generateWeb3KeyRequest = z.strictObject({
  apiKeyType,
  // No length caps here: the regexes below refuse anything long with Venice's own messages, in linear time.
  address: z.string(),
  signature: z.string(),
  token: z.string(),
  description: z.string().max(64).default('Web3 API Key'),
  expiresAt: expiresAt.optional(),
  consumptionLimit: consumptionLimit.optional(),
  limitPeriod: limitPeriod.optional(),
  modelPrivacy: modelPrivacy.optional(),
});

/** `rw3k.<expiry, unix seconds>.<32 random bytes, base64url>`: the expiry is readable, the store decides validity. */
const TOKEN = /^rw3k\.([1-9][0-9]{9,11})\.([A-Za-z0-9_-]{43})$/;
const EVM_ADDRESS = /^0x[a-fA-F0-9]{40}$/;
const SIGNATURE = /^0x(?:[a-fA-F0-9]{2}){1,2048}$/;
/** The ERC-20 `balanceOf(address)` ABI. */
const BALANCE_OF = [
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
] as const;

/** Venice's 400 messages (guide "Error reference"), so clients mapping them keep working. */
function refused(message: string, cause?: unknown): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    message,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The store key of a token: its sha256 (the store never holds a usable token). */
function nonceKey(token: string): string {
  return `web3key:${createHash('sha256').update(token).digest('hex')}`;
}

export interface Web3KeyServiceOptions {
  config: Web3KeysConfig;
  /** The JSON-RPC URL of config.network (config.rpcUrl, else that network's in wallets.networks). */
  rpcUrl: string;
  keys: KeyService;
  nonces: Pick<WalletRepository, 'claimNonce' | 'takeNonce'>;
  now?: () => number;
}

export class Web3KeyService {
  private readonly client;
  private readonly now: () => number;
  private readonly allowList: ReadonlySet<string> | undefined;
  private readonly minimum: bigint | undefined;

  constructor(private readonly options: Web3KeyServiceOptions) {
    this.client = createPublicClient({ transport: http(options.rpcUrl, { timeout: 10_000 }) });
    this.now = options.now ?? Date.now;
    const rule = options.config.rule;
    if ('allowList' in rule)
      this.allowList = new Set(rule.allowList.map((entry) => entry.toLowerCase()));
    else this.minimum = parseUnits(rule.erc20.minimum, rule.erc20.decimals);
  }

  /** GET: a fresh single-use token, stored (hashed) until it expires so any replica can take it. */
  async issueToken(): Promise<{ token: string }> {
    const expires = Math.floor(this.now() / 1000) + this.options.config.tokenTtlSeconds;
    const token = `rw3k.${expires}.${randomBytes(32).toString('base64url')}`;
    const stored = await this.options.nonces.claimNonce(
      nonceKey(token),
      new Date(expires * 1000).toISOString(),
      new Date(this.now()).toISOString(),
    );
    if (!stored) throw new Error('a fresh random token was already stored');
    return { token };
  }

  /** POST: checks the body, the signature, the token (taken once) and the rule, then creates the key. */
  async mint(input: unknown): Promise<CreatedApiKey> {
    const body = parseOrThrow(generateWeb3KeyRequest, input);
    if (!EVM_ADDRESS.test(body.address)) throw refused('Invalid wallet address');
    const match = TOKEN.exec(body.token);
    if (match === null) throw refused('JWT is malformed');
    if (Number(match[1]) * 1000 < this.now()) throw refused('JWT has expired');
    if (!this.options.config.keyTypes.includes(body.apiKeyType))
      throw refused(
        `apiKeyType ${body.apiKeyType} is not offered to wallets here (allowed: ${this.options.config.keyTypes.join(', ')})`,
      );
    const address = body.address as Address;
    await this.verifySignature(address, body.token, body.signature);
    // Taken only once the signature holds: a forged request burns no one's token.
    if (
      !(await this.options.nonces.takeNonce(
        nonceKey(body.token),
        new Date(this.now()).toISOString(),
      ))
    )
      throw refused(
        'JWT signature is invalid: this token was not issued here, has expired or was used already',
      );
    await this.checkRule(address);
    const wallet = walletIdOf(address) as string;
    const created = await this.options.keys.createInAccount({
      accountId: wallet,
      apiKeyType: body.apiKeyType,
      description: body.description,
      expiresAt: body.expiresAt ?? null,
      consumptionLimits: {
        usd: null,
        diem: null,
        vcu: null,
        ...limitsToNanos(this.capped(body.consumptionLimit ?? {})),
      },
      ...(body.limitPeriod === undefined ? {} : { limitPeriod: body.limitPeriod }),
      ...(body.modelPrivacy === undefined ? {} : { modelPrivacy: body.modelPrivacy }),
    });
    return createdKeyView(created);
  }

  /** The request's limits within the operator's caps (vcu is Venice's deprecated name for diem: the diem cap). */
  private capped(limits: {
    usd?: number | null | undefined;
    diem?: number | null | undefined;
    vcu?: number | null | undefined;
  }) {
    const caps = this.options.config.consumptionLimit;
    const cap = (value: number | null | undefined, max: number | null): number | null =>
      max === null ? (value ?? null) : Math.min(value ?? max, max);
    return {
      usd: cap(limits.usd, caps.usd),
      diem: cap(limits.diem, caps.diem),
      vcu: cap(limits.vcu, caps.diem),
    };
  }

  /** EIP-191 by recovery; else EIP-1271 (a contract wallet) through the network's RPC. */
  private async verifySignature(address: Address, token: string, signature: string): Promise<void> {
    if (!SIGNATURE.test(signature)) throw refused('Wallet signature does not match');
    const hex = signature as Hex;
    let valid = false;
    try {
      valid = await verifyMessage({ address, message: token, signature: hex });
    } catch {
      valid = false; // not a recoverable 65-byte signature: perhaps a contract wallet's
    }
    if (valid) return;
    let code: Hex | undefined;
    try {
      code = await this.client.getCode({ address });
    } catch (error) {
      throw refused('Could not verify wallet signature', error);
    }
    if (code === undefined || code === '0x') throw refused('Wallet signature does not match');
    try {
      valid = await this.client.verifyMessage({ address, message: token, signature: hex });
    } catch (error) {
      throw refused('Could not verify wallet signature', error);
    }
    if (!valid) throw refused('Wallet signature does not match');
  }

  private async checkRule(address: Address): Promise<void> {
    if (this.allowList !== undefined) {
      if (!this.allowList.has(address.toLowerCase()))
        throw refused('Wallet is not on this server’s list of wallets that may mint API keys');
      return;
    }
    const rule = this.options.config.rule as Extract<Web3KeysConfig['rule'], { erc20: unknown }>;
    let balance: bigint;
    try {
      balance = await this.client.readContract({
        address: rule.erc20.token as Address,
        abi: BALANCE_OF,
        functionName: 'balanceOf',
        args: [address],
      });
    } catch (error) {
      throw refused('Could not read the wallet’s token balance; retry', error);
    }
    if (balance < (this.minimum ?? 0n))
      throw refused(
        `Wallet holds less than ${rule.erc20.minimum} of token ${rule.erc20.token} on ${this.options.config.network}`,
      );
  }
}

/** The service when `wallets.web3Keys.enabled` (wallets.enabled is not needed), else undefined: the routes stay 404. */
export function createWeb3KeyService(
  wallets: {
    web3Keys?: Web3KeysConfig | undefined;
    networks: readonly { id: string; rpcUrl?: string | undefined }[];
  },
  nonces: Pick<WalletRepository, 'claimNonce' | 'takeNonce'>,
  keys: KeyService,
): Web3KeyService | undefined {
  const config = wallets.web3Keys;
  if (config === undefined || !config.enabled) return undefined;
  const rpcUrl =
    config.rpcUrl ?? wallets.networks.find((network) => network.id === config.network)?.rpcUrl;
  if (rpcUrl === undefined) throw new Error('wallets.web3Keys needs an rpcUrl');
  return new Web3KeyService({ config, rpcUrl, keys, nonces });
}
