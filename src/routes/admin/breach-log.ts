import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { OperatorReads } from '../../services/admin/operator-reads.ts';

/**
 * GET /admin/rate-limits/log: the last 50 rate-limit refusals of every key, newest first, each with its key's
 * description and account (/api_keys/rate_limits/log shows only the caller's own).
 */
export function registerBreachLog(
  app: FastifyInstance,
  reads: OperatorReads,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/rate-limits/log', { onRequest: auth }, async () => ({
    object: 'list',
    enabled: reads.limitsEnabled,
    data: await reads.breaches(),
  }));
}
