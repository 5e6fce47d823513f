import { createHash } from 'node:crypto';
import { decodePaymentSignatureHeader } from '@x402/core/http';
import type { PaymentPayload } from '@x402/core/types';
import { z } from 'zod';
import { X402PaymentError } from './x402-payment-error.ts';

/** The most characters of a payment header read (an EVM payload is under 1 KB, a Solana transaction a few). */
const MAX_PAYMENT_HEADER = 16_384;

// The EIP-3009 authorization of an exact EVM payment (x402 ExactEIP3009Payload): its (from, nonce) is the payment.
const eip3009 = z.object({
  authorization: z.object({ from: z.string().max(64), nonce: z.string().max(80) }),
});

/** The whole authorization, as a pending top-up records it (checked only after the facilitator verified it). */
export const eip3009Full = z.object({
  authorization: z.object({
    from: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    to: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    value: z.string().regex(/^[0-9]{1,78}$/),
    validBefore: z.string().regex(/^[0-9]{1,20}$/),
    nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  }),
});

/** A PAYMENT-SIGNATURE (or X-PAYMENT) header as an x402 v2 payment; X402_INVALID_PAYMENT when it is not one. */
export function decodePayment(header: string): PaymentPayload {
  if (header.length > MAX_PAYMENT_HEADER)
    throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'too_large' });
  let payload: PaymentPayload;
  try {
    payload = decodePaymentSignatureHeader(header.trim());
  } catch (error) {
    throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'malformed' }, error);
  }
  const accepted = payload?.accepted;
  if (
    payload?.x402Version !== 2 ||
    typeof accepted !== 'object' ||
    accepted === null ||
    typeof accepted.amount !== 'string' ||
    typeof accepted.network !== 'string' ||
    typeof accepted.asset !== 'string' ||
    typeof accepted.payTo !== 'string' ||
    typeof payload.payload !== 'object' ||
    payload.payload === null
  )
    throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'malformed' });
  return payload;
}

/** Addresses compared as the network writes them: EVM hex in any case, Solana base58 exactly. */
export function sameAddress(left: string, right: string): boolean {
  return left.startsWith('0x') ? left.toLowerCase() === right.toLowerCase() : left === right;
}

/**
 * What makes a payment one payment, known before it settles: an EIP-3009 authorization's (from, nonce) on its
 * network (the token refuses a nonce twice), else the digest of the signed payload.
 */
export function paymentKeyOf(payload: PaymentPayload): string {
  const evm = eip3009.safeParse(payload.payload);
  if (evm.success)
    return `${payload.accepted.network}:${evm.data.authorization.from.toLowerCase()}:${evm.data.authorization.nonce.toLowerCase()}`;
  const digest = createHash('sha256').update(JSON.stringify(payload.payload)).digest('hex');
  return `${payload.accepted.network}:${digest}`;
}

/** The answer's paymentId: the settlement's transaction, else a digest of the payment key. */
export function paymentIdOf(transaction: string | null, paymentKey: string): string {
  return `payment_${transaction ?? createHash('sha256').update(paymentKey).digest('hex').slice(0, 32)}`;
}
