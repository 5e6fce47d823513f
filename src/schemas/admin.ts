import { z } from 'zod';

// Rialto's operator endpoints under /admin (not in the Venice spec); strict like the spec's own bodies.

export const accountIdParams = z.strictObject({ id: z.string().min(1).max(128) });

/** POST /admin/accounts/{id}/top-up: a credit in USD or DIEM (debits stay with the CLI's `balance add`). */
export const topUpRequest = z.strictObject({
  amount: z.number().positive().max(1_000_000_000).refine(Number.isFinite, 'amount must be finite'),
  currency: z.enum(['USD', 'DIEM']),
});
export type TopUpRequest = z.infer<typeof topUpRequest>;

const JOB_STATES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'DELETED'] as const;

/** GET /admin/jobs: the newest `limit` jobs (1..200, default 50), of one state when given. */
export const adminJobsQuery = z.strictObject({
  limit: z.string().regex(/^\d{1,3}$/, 'Expected an integer').transform(Number).pipe(z.number().int().min(1).max(200)).default(50),
  state: z.enum(JOB_STATES).optional(),
});
