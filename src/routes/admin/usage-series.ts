import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { usageAnalyticsQuery } from '../../schemas/billing.ts';
import { analyticsWindow } from '../../services/usage/analytics-window.ts';
import type { UsageSeries } from '../../services/usage/usage-series.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/**
 * GET /admin/usage?lookback=7d (or startDate and endDate, as /billing/usage-analytics takes them): the caller's
 * account by day, key and model, with requests, tokens and cost (usage-series.ts).
 */
export function registerUsageSeries(
  app: FastifyInstance,
  series: UsageSeries,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/usage', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const query = parseOrThrow(usageAnalyticsQuery, request.query);
    return series.report(accountId, analyticsWindow(query, new Date()));
  });
}
