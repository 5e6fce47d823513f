import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeBase58, formatSIWSMessage } from '@x402/extensions/sign-in-with-x';
import { SiweMessage } from 'siwe';
import type { PrivateKeyAccount } from 'viem/accounts';

/** What a test may vary in a SIWx sign-in; the rest defaults to a valid message for `origin`. */
export interface SiwxOptions {
  /** e.g. http://127.0.0.1:4000 — domain is its host, uri the origin. */
  origin: string;
  /** EIP-155 chain id (number) or CAIP-2 string; default 84532. */
  chainId?: number | string;
  nonce?: string;
  issuedAt?: Date;
  /** Default issuedAt + 5 minutes; null for none. */
  expirationTime?: Date | null;
  domain?: string;
  statement?: string;
  /** The address signed in (default the signer's): an EIP-1271 contract wallet the signer owns. */
  address?: `0x${string}`;
}

const nonce = (): string => randomBytes(8).toString('hex');

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** An EIP-4361 message signed (EIP-191) by a viem account, in Venice's SIGN-IN-WITH-X form (swagger: siwx). */
export async function evmSiwxHeader(
  account: PrivateKeyAccount,
  options: SiwxOptions,
  tamper: (message: string) => string = (message) => message,
): Promise<string> {
  const url = new URL(options.origin);
  const issuedAt = options.issuedAt ?? new Date();
  const expiration =
    options.expirationTime === undefined
      ? new Date(issuedAt.getTime() + 5 * 60_000)
      : options.expirationTime;
  const chainId = options.chainId ?? 84532;
  const message = new SiweMessage({
    domain: options.domain ?? url.host,
    address: options.address ?? account.address,
    statement: options.statement ?? 'Sign in to Venice API',
    uri: url.origin,
    version: '1',
    chainId: Number(String(chainId).replace(/^eip155:/, '')),
    nonce: options.nonce ?? nonce(),
    issuedAt: issuedAt.toISOString(),
    ...(expiration === null ? {} : { expirationTime: expiration.toISOString() }),
  }).prepareMessage();
  const signature = await account.signMessage({ message });
  return encode({
    address: options.address ?? account.address,
    message: tamper(message),
    signature,
    timestamp: issuedAt.getTime(),
    chainId,
  });
}

export const SOLANA_MAINNET = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';

/** A Solana keypair from a 32-byte seed: its base58 address and a signer. */
export function solanaKeypair(seed: Uint8Array = randomBytes(32)) {
  const publicKey = ed25519.getPublicKey(seed);
  return {
    address: encodeBase58(publicKey),
    sign: (message: string) => ed25519.sign(new TextEncoder().encode(message), seed),
  };
}

/** A Solana SIWS message signed with ed25519, in Venice's form (`type: "ed25519"`, signature base58 or base64). */
export function solanaSiwxHeader(
  keypair: ReturnType<typeof solanaKeypair>,
  options: SiwxOptions & { signatureEncoding?: 'base58' | 'base64' },
): string {
  const url = new URL(options.origin);
  const issuedAt = options.issuedAt ?? new Date();
  const chainId = String(options.chainId ?? SOLANA_MAINNET);
  const message = formatSIWSMessage(
    {
      domain: options.domain ?? url.host,
      uri: url.origin,
      statement: options.statement ?? 'Sign in to Venice API',
      version: '1',
      chainId,
      type: 'ed25519',
      nonce: options.nonce ?? nonce(),
      issuedAt: issuedAt.toISOString(),
      expirationTime: new Date(issuedAt.getTime() + 5 * 60_000).toISOString(),
    },
    keypair.address,
  );
  const raw = keypair.sign(message);
  const signature =
    options.signatureEncoding === 'base64'
      ? Buffer.from(raw).toString('base64')
      : encodeBase58(raw);
  return encode({
    address: keypair.address,
    message,
    signature,
    timestamp: issuedAt.getTime(),
    chainId,
    type: 'ed25519',
  });
}
