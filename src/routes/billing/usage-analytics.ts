import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { usageAnalyticsQuery } from '../../schemas/billing.ts';
import { analyticsWindow } from '../../services/usage/analytics-window.ts';
import type { UsageAnalytics } from '../../services/usage/usage-analytics.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** GET /billing/usage-analytics (Beta; INVENTORY §6.4): the caller's account, by day, model and key. */
export function registerUsageAnalytics(
  app: FastifyInstance,
  analytics: UsageAnalytics,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/billing/usage-analytics', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const query = parseOrThrow(usageAnalyticsQuery, request.query);
    return analytics.report(accountId, analyticsWindow(query, new Date()));
  });
}
