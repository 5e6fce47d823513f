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
