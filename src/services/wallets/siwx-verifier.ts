import {
  type EVMMessageVerifier,
  validateSIWxMessage,
  verifySIWxSignature,
} from '@x402/extensions/sign-in-with-x';
import { VeniceError } from '../../errors/venice-error.ts';
import type { WalletId } from '../../storage/wallet-store.ts';
import { decodeSiwxHeader } from './siwx-message.ts';
import { walletIdOf } from './wallet-id.ts';

/** A wallet proven by a SIGN-IN-WITH-X header. */
export interface SignedInWallet {
  /** The ledger's key ('eip155:0x…' lowercase, 'solana:…'). */
  wallet: WalletId;
  /** The address as signed. */
  address: string;
  /** CAIP-2 chain the message named. */
  chainId: string;
}

export interface SiwxVerifierOptions {
  /** The origin messages must name: `domain` its host, `uri` the same origin. */
  origin: URL;
  /** CAIP-2 chains accepted (wallets.networks). */
  chains: readonly string[];
  /** How long after its Issued At a message is good (Venice: 5 minutes). */
  maxAgeMs: number;
  /** Marks a nonce used; false when it was (store.wallets.claimNonce). */
  claimNonce(nonceKey: string, expiresAt: string, now: string): Promise<boolean>;
  /** The chain's EIP-1271-aware verifier (viem publicClient.verifyMessage) where an RPC URL is configured; else EOA only. */
  evmVerifierFor?: (chainId: string) => EVMMessageVerifier | undefined;
}

function invalid(reason: string): VeniceError {
  // The reason goes to the log (error cause), not to the client: 401 X402_INVALID_SIGN_IN as Venice answers.
  return new VeniceError('X402_INVALID_SIGN_IN', { cause: new Error(reason) });
}

/**
 * Verifies SIGN-IN-WITH-X (or the legacy X-Sign-In-With-X) headers with the x402 sign-in-with-x extension:
 * domain and URI against the origin, Issued At within maxAge (not in the future), Expiration Time and Not Before,
 * the chain among those accepted, the signature (EIP-191; EIP-1271 through the chain's RPC; ed25519 for Solana),
 * and the nonce single-use (in the store, so across replicas), checked last so a forged header burns no nonce.
 */
export class SiwxVerifier {
  constructor(private readonly options: SiwxVerifierOptions) {}

  /** The signed-in wallet; throws VeniceError X402_INVALID_SIGN_IN (401) for any failure. */
  async verify(header: string): Promise<SignedInWallet> {
    const payload = decodeSiwxHeader(header.trim());
    if (payload === undefined) throw invalid('malformed SIWx header');
    if (!this.options.chains.includes(payload.chainId))
      throw invalid(`chain ${payload.chainId} not accepted`);
    const wallet = walletIdOf(payload.address);
    if (wallet === undefined || !wallet.startsWith(`${payload.chainId.split(':')[0]}:`))
      throw invalid('address does not fit the chain');
    const validation = await validateSIWxMessage(payload, this.options.origin, {
      maxAge: this.options.maxAgeMs,
    });
    if (!validation.isValid) throw invalid(validation.invalidReason ?? 'invalid message');
    const evmVerifier = this.options.evmVerifierFor?.(payload.chainId);
    const verified = await verifySIWxSignature(
      payload,
      evmVerifier === undefined ? {} : { evmVerifier },
    );
    if (!verified.isValid) throw invalid(verified.invalidReason ?? 'invalid signature');
    const now = Date.now();
    const validUntil = Math.min(
      Date.parse(payload.issuedAt) + this.options.maxAgeMs,
      payload.expirationTime === undefined
        ? Number.POSITIVE_INFINITY
        : Date.parse(payload.expirationTime),
    );
    const fresh = await this.options.claimNonce(
      `${wallet}:${payload.nonce}`,
      new Date(Math.max(validUntil, now)).toISOString(),
      new Date(now).toISOString(),
    );
    if (!fresh) throw invalid('nonce already used');
    return { wallet, address: payload.address, chainId: payload.chainId };
  }
}
