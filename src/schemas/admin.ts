import { z } from 'zod';
import { decimalOf, MAX_AMOUNT, toNanos } from '../services/billing/money.ts';
import { MAX_NANOS } from '../storage/store.ts';

// Rialto's operator endpoints under /admin (not in the Venice spec); strict like the spec's own bodies.

export const accountIdParams = z.strictObject({ id: z.string().min(1).max(128) });

/**
 * POST /admin/accounts/{id}/top-up: a credit in USD or DIEM, of at least one nano-unit (a smaller one would credit
 * nothing) and at most what a balance may hold (MAX_AMOUNT); the store refuses one that would take the balance past it.
 */
export const topUpRequest = z.strictObject({
  amount: z
    .number()
    .positive()
    .max(MAX_AMOUNT, `amount must be at most ${decimalOf(MAX_NANOS)}, the most a balance holds`)
    .refine(
      (amount) => toNanos(amount) >= 1,
      'amount must be at least 0.000000001, the smallest unit',
    ),
  currency: z.enum(['USD', 'DIEM']),
});
export type TopUpRequest = z.infer<typeof topUpRequest>;

const JOB_STATES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'DELETED'] as const;

/** GET /admin/jobs: the newest `limit` jobs (1..200, default 50), of one state when given. */
export const adminJobsQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'Expected an integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .default(50),
  state: z.enum(JOB_STATES).optional(),
});

const pageNumber = (digits: number, min: number, max: number) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${digits}}$`), 'Expected an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** GET /admin/wallets and /admin/wallets/{address}/entries: `limit` 1..200 (default 50), `offset` 0..1e9 (default 0). */
export const adminWalletPageQuery = z.strictObject({
  limit: pageNumber(3, 1, 200).default(50),
  offset: pageNumber(10, 0, 1_000_000_000).default(0),
});

/** A wallet's address as the swagger's walletAddress: EVM 0x + 40 hex, or Solana base58 (32..44). */
export const walletAddressParams = z.strictObject({
  address: z
    .string()
    .regex(
      /^(0x[a-fA-F0-9]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$/,
      'Expected an EVM (0x…) or Solana address',
    ),
});

// Their answers (the console's api-types.ts mirrors them); money in integer nano-USD, exact.
const nanos = z.number().int().safe();
const walletName = {
  address: z.string(),
  network: z.enum(['eip155', 'solana']),
};

export const adminWallet = z.strictObject({
  ...walletName,
  balanceNanos: nanos.nonnegative(),
  reservedNanos: nanos.nonnegative(),
  toppedUpNanos: nanos.nonnegative(),
  chargedNanos: nanos.nonnegative(),
  refundedNanos: nanos.nonnegative(),
  entries: z.number().int().nonnegative(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
});

export const adminWalletList = z.strictObject({
  object: z.literal('list'),
  total: z.number().int().nonnegative(),
  data: z.array(adminWallet),
});

export const adminWalletEntry = z.strictObject({
  id: z.string(),
  type: z.enum(['TOP_UP', 'CHARGE', 'REFUND']),
  amountNanos: nanos,
  balanceAfterNanos: nanos.nonnegative(),
  requestId: z.string().nullable(),
  modelId: z.string().nullable(),
  network: z.string().nullable(),
  transaction: z.string().nullable(),
  createdAt: z.string(),
});

export const adminWalletEntries = z.strictObject({
  object: z.literal('list'),
  ...walletName,
  balanceNanos: nanos.nonnegative(),
  reservedNanos: nanos.nonnegative(),
  hasMore: z.boolean(),
  data: z.array(adminWalletEntry),
});
