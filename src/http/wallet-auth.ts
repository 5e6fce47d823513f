import type { FastifyReply, FastifyRequest } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import {
  type PaymentRequiredContext,
  X402DiscoveryRequired,
} from '../services/wallets/inference-payment-required.ts';
import type { WalletBilling } from '../services/wallets/wallet-billing.ts';
import type { WalletServices } from '../services/wallets/wallet-services.ts';
import '../routes/x402/require-wallet.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** What the 402s name: the URL asked for, and the base the top-up route lives under. */
function contextOf(request: FastifyRequest, publicUrl: string | undefined): PaymentRequiredContext {
  const base = (publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
  return { resourceUrl: `${base}${request.url.split('?')[0]}`, base };
}

/**
 * The inference routes' hook where wallets are enabled (INVENTORY §0, §4.3): a request with `Authorization` goes
 * the key's way, unchanged (`keyed`: its bad key is still 401); one with SIGN-IN-WITH-X (or the legacy
 * X-Sign-In-With-X) is verified (401 X402_INVALID_SIGN_IN otherwise) and pays from the wallet's ledger
 * (`request.billing` is the wallet's Billing); one with neither gets the x402 discovery 402 with PAYMENT-REQUIRED.
 * `wallets: false` (routes whose work is owned by an account, as async jobs are): SIWx is not taken there (401
 * AUTHENTICATION_FAILED, as without wallets), the no-auth 402 still is.
 */
export function billedKeyOrWallet(
  keyed: Hook,
  services: WalletServices,
  billing: WalletBilling,
  options: { publicUrl?: string; wallets?: boolean } = {},
): Hook {
  const { publicUrl } = options;
  const acceptWallets = options.wallets !== false;
  return async (request, reply) => {
    if (request.headers.authorization !== undefined) return keyed(request, reply);
    const header = request.headers['sign-in-with-x'] ?? request.headers['x-sign-in-with-x'];
    if (header === undefined)
      throw new X402DiscoveryRequired(
        services.wallets.config,
        services.topUp,
        contextOf(request, publicUrl),
      );
    if (!acceptWallets) throw new VeniceError('AUTHENTICATION_FAILED');
    if (typeof header !== 'string' || header === '') throw new VeniceError('X402_INVALID_SIGN_IN');
    const signedIn = await services.verifier().verify(header);
    request.signedInWallet = signedIn;
    request.billing = billing.for(
      signedIn,
      {
        set: (name, value) => void reply.header(name, value),
        sent: () => reply.sent || reply.raw.headersSent,
      },
      contextOf(request, publicUrl),
      (headers) => reply.headers({ ...headers }),
    );
  };
}
