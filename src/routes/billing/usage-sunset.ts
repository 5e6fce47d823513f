import type { FastifyInstance } from 'fastify';

// swagger: getBillingUsage (deprecated, `security: []`), INVENTORY §6.6 and §3.3.
const SUNSET_HEADERS = {
  deprecation: '@1783555200',
  link: '</api/v1/billing/usage-history>; rel="successor-version"',
  sunset: 'Wed, 16 Sep 2026 00:00:00 GMT',
};

const MESSAGE =
  'GET /api/v1/billing/usage was sunset on 2026-09-16 and no longer returns usage data. ' +
  'Use GET /api/v1/billing/usage-history, which returns the same ledger entries with cursor pagination: ' +
  'replace page and limit with pageSize and the nextCursor of each response, and startDate and endDate with startTimestamp and endTimestamp.';

/** GET /billing/usage: always 410 with the StandardError body, whatever the caller sends; no key needed. */
export function registerUsageSunset(app: FastifyInstance): void {
  app.get('/billing/usage', async (_request, reply) =>
    reply.status(410).headers(SUNSET_HEADERS).send({ error: MESSAGE }),
  );
}
