import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { adminJobsQuery } from '../../schemas/admin.ts';
import type { OperatorReads } from '../../services/admin/operator-reads.ts';

/** GET /admin/jobs?limit=&state=: the newest async jobs (video, music) of every account, and counts by state. */
export function registerListJobs(
  app: FastifyInstance,
  reads: OperatorReads,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/jobs', { onRequest: auth }, async (request) => {
    const { counts, data } = await reads.jobs(parseOrThrow(adminJobsQuery, request.query));
    return { object: 'list', counts, data };
  });
}
