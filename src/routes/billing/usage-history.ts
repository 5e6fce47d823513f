import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { usageHistoryQuery } from '../../schemas/billing.ts';
import type { UsageHistory } from '../../services/usage/usage-history.ts';
import { callerAccount } from '../api-keys/caller-account.ts';
import { csvFileName, toCsv, wantsCsv } from './usage-history-csv.ts';

/**
 * GET /billing/usage-history (INVENTORY §6.5): a cursor walk over the caller's account. JSON `{data, nextCursor}`;
 * with text/csv in Accept, the page as CSV with the cursor in x-next-cursor (absent on the last page).
 */
export function registerUsageHistory(
  app: FastifyInstance,
  history: UsageHistory,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/billing/usage-history', { onRequest: auth }, async (request, reply) => {
    const accountId = callerAccount(request);
    const query = parseOrThrow(usageHistoryQuery, request.query);
    const page =
      query.cursor === undefined
        ? await history.first(accountId, query)
        : await history.next(accountId, query.cursor);
    if (!wantsCsv(request.headers.accept))
      return { data: page.entries, nextCursor: page.nextCursor };
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename=${csvFileName(new Date())}`);
    if (page.nextCursor !== null) reply.header('x-next-cursor', page.nextCursor);
    return reply.send(toCsv(page.entries));
  });
}
