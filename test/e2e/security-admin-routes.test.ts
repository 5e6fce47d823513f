// Issue #10.4: an INFERENCE key reaches no admin operation. The routes come from the server's own route table
// (test/support/route-table.ts), so a route added later is probed too: each is called with no key, an INFERENCE
// key and an ADMIN key. The admin set is declared by area (every /admin route, key management, billing, the
// character write API, /metrics behind metrics.requireKey): those answer 403 with the Venice body to an
// INFERENCE key and never 401/403 to an ADMIN key; every other route lets an INFERENCE key past (so a new
// ADMIN-only route elsewhere fails here until it is declared).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { routeTable, type RouteEntry } from '../support/route-table.ts';

/** The API is served under /v1 as under /api/v1 (#16.6): the same rules hold for both copies. */
function apiPath(url: string): string {
  return url.startsWith('/v1/') ? `/api${url}` : url;
}

/** Routes an ADMIN key only may call (swagger: api_keys and billing are ADMIN; /admin, character writes and /metrics are Rialto's). */
function adminOnly({ method, url: path }: RouteEntry): boolean {
  const url = apiPath(path);
  if (url.startsWith('/api/v1/admin/')) return true;
  if (url === '/api/v1/api_keys' || url === '/api/v1/api_keys/:id') return true;
  if (url.startsWith('/api/v1/billing/') && url !== '/api/v1/billing/usage') return true;
  if (url.startsWith('/api/v1/characters') && method !== 'GET') return true;
  return url === '/metrics';
}

/** Routes that take no key at all (their own credential, or none: documented in the README). */
function keyless({ url: path }: RouteEntry): boolean {
  const url = apiPath(path);
  if (url === '/') return true;
  return (
    url.startsWith('/api/v1/models') ||
    url === '/api/v1/image/styles' ||
    url === '/api/v1/crypto/rpc/networks' ||
    url === '/api/v1/billing/usage' ||
    url === '/api/v1/api_keys/generate_web3_key' ||
    url.endsWith('/quote') ||
    url.startsWith('/share/read/') ||
    ['/health', '/ready'].includes(url) ||
    url.startsWith('/console')
  );
}

/** A concrete request for a route template: parameters filled in, an empty JSON body where one is taken. */
function probe(
  origin: string,
  { method, url }: RouteEntry,
  key: string | undefined,
): Promise<Response> {
  const path = url
    .replace(/:id\b/g, '0000000000000000')
    .replace(/:[A-Za-z]+/g, 'probe')
    .replace(/\*$/, 'probe');
  const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
  return fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
}

describe('admin routes refuse INFERENCE keys (from the route table)', () => {
  let rialto: TestRialto;
  let routes: RouteEntry[];

  before(async () => {
    rialto = await startRialto({ metrics: { requireKey: true } });
    routes = routeTable(rialto.app);
  });
  after(() => rialto.close());

  it('the route table is read: every area is in it, admin routes among them', () => {
    for (const expected of [
      'POST /api/v1/chat/completions',
      'GET /api/v1/admin/accounts',
      'DELETE /api/v1/api_keys',
      'GET /share/read/:token',
      'GET /metrics',
      'POST /v1/chat/completions',
      'GET /v1/admin/accounts',
      'DELETE /v1/api_keys',
    ]) {
      assert.ok(
        routes.some(({ method, url }) => `${method} ${url}` === expected),
        expected,
      );
    }
    assert.ok(
      routes.filter(adminOnly).length >= 30,
      `admin routes: ${routes
        .filter(adminOnly)
        .map((route) => route.url)
        .join(', ')}`,
    );
  });

  it('admin routes: 401 without a key, 403 "Unauthorized access" for an INFERENCE key, neither for an ADMIN key', async () => {
    for (const route of routes.filter(adminOnly)) {
      const label = `${route.method} ${route.url}`;
      const anonymous = await probe(rialto.origin, route, undefined);
      assert.equal(anonymous.status, 401, label);
      assert.deepEqual(
        await anonymous.json(),
        { error: ERROR_CODES.AUTHENTICATION_FAILED.message },
        label,
      );
      const inference = await probe(rialto.origin, route, rialto.inferenceKey);
      assert.equal(inference.status, 403, label);
      assert.match(inference.headers.get('content-type') ?? '', /^application\/json/, label);
      assert.deepEqual(await inference.json(), { error: ERROR_CODES.UNAUTHORIZED.message }, label);
      const admin = await probe(rialto.origin, route, rialto.adminKey);
      await admin.arrayBuffer();
      assert.ok(
        admin.status !== 401 && admin.status !== 403 && admin.status < 500,
        `${label}: an ADMIN key gets ${admin.status}`,
      );
    }
  });

  it('every other route lets an INFERENCE key past authorization; those that need a key refuse none', async () => {
    for (const route of routes.filter((candidate) => !adminOnly(candidate))) {
      const label = `${route.method} ${route.url}`;
      const inference = await probe(rialto.origin, route, rialto.inferenceKey);
      const text = await inference.text();
      assert.ok(
        inference.status !== 401 && inference.status !== 403,
        `${label}: an INFERENCE key gets ${inference.status} ${text}; an ADMIN-only route belongs in adminOnly`,
      );
      if (!keyless(route))
        assert.equal(
          (
            await probe(rialto.origin, route, undefined).then(async (response) => {
              await response.arrayBuffer();
              return response;
            })
          ).status,
          401,
          `${label} without a key`,
        );
    }
  });
});
