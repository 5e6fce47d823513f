// Issue #10: PostgreSQL restarts under load. The shared server is left alone: Rialto (its own process, as deployed)
// reaches it through a TCP proxy that the test cuts (every connection dropped, new ones refused) and then restores,
// which is what a restart looks like to clients. Requests during the outage fail with a Venice 5xx; none succeeds
// without its usage record; once the database is back the server serves again, the leases of reservations it could
// not settle run out, and the books add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toNanos } from '../../src/services/billing/money.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { spawnRialto } from '../support/spawn-rialto.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import {
  contentChunk,
  completionBody,
  startFaultUpstream,
  usageChunkAndDone,
} from '../support/upstream/fault-upstream.ts';
import { sseData } from './upstream-support.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };
const WORKERS = 6;

type Outcome =
  | { kind: 'ok'; id: string }
  | { kind: 'error'; status: number; body: unknown }
  | { kind: 'stream-error'; event: { error?: { status?: number; code?: string } } }
  | { kind: 'broken'; message: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms, at most `polls` times. */
async function until(condition: () => boolean, polls = 1200): Promise<boolean> {
  for (let poll = 0; poll < polls && !condition(); poll++) await sleep(50);
  return condition();
}

test('PostgreSQL connections cut mid-load, then back: 5xx during the outage, nothing served unrecorded, the books add up', async (t) => {
  const unavailable = await postgresUnavailable();
  if (unavailable !== false) {
    t.skip(unavailable);
    return;
  }
  const schema = uniqueSchemaName();
  const database = new URL(TEST_DATABASE_URL);
  const proxy = await startTcpProxy({
    host: database.hostname,
    port: Number(database.port || 5432),
  });
  const through = new URL(TEST_DATABASE_URL);
  through.host = `127.0.0.1:${proxy.port}`;
  through.searchParams.set('schema', schema);
  // Streams of three chunks 40 ms apart, so some are open when the database goes.
  const upstream = await startFaultUpstream(async ({ body }, response) => {
    if (body.stream !== true) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(completionBody('Steady.', 16, 8));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of ['Ste', 'ad', 'y.']) {
      response.write(contentChunk(piece));
      await sleep(40);
    }
    response.end(usageChunkAndDone(16, 8));
  });
  const directory = mkdtempSync(join(tmpdir(), 'rialto-pg-fault-'));
  const setup = await openPostgresStore(TEST_DATABASE_URL, { schema });
  const key = (await new KeyService(setup).create({ apiKeyType: 'INFERENCE', description: 'load' }))
    .apiKey;
  await setup.accounts.credit('default', 'USD', toNanos(FUNDED_USD));
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      server: { port: 0 },
      dataDirectory: join(directory, 'data'),
      logLevel: 'info',
      systemPrompt: '',
      discoverModels: false,
      database: { url: through.toString() },
      billing: { leaseSeconds: 2 },
      rateLimits: { enabled: false },
      models: [
        {
          id: 'paid',
          engine: { kind: 'openai-compatible', model: 'fault', endpoints: [{ url: upstream.url }] },
          pricing: PRICING,
        },
      ],
    }),
  );
  const server = await spawnRialto(config);
  const outcomes: Outcome[] = [];
  let stop = false;

  async function ask(stream: boolean): Promise<Outcome> {
    try {
      const response = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'paid',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 64,
          stream,
        }),
      });
      const text = await response.text();
      if (response.status !== 200)
        return { kind: 'error', status: response.status, body: JSON.parse(text) as unknown };
      if (!stream) return { kind: 'ok', id: (JSON.parse(text) as { id: string }).id };
      const events = sseData(text);
      if (events.at(-1) !== '[DONE]')
        return {
          kind: 'stream-error',
          event: JSON.parse(events.at(-1) ?? '{}') as { error?: { status?: number } },
        };
      return { kind: 'ok', id: (JSON.parse(events[0]!) as { id: string }).id };
    } catch (error) {
      return { kind: 'broken', message: (error as Error).message };
    }
  }
  const workers = Array.from({ length: WORKERS }, async (_, worker) => {
    for (let turn = 0; !stop; turn++) {
      const outcome = await ask((turn + worker) % 2 === 0);
      outcomes.push(outcome);
      // Rialto is gone (a crash): nothing more to learn, and a tight loop of refused connections to avoid.
      if (outcome.kind === 'broken') stop = true;
    }
  });
  const count = (kind: Outcome['kind'], from = 0): number =>
    outcomes.slice(from).filter((outcome) => outcome.kind === kind).length;

  try {
    const crashed = (): boolean => server.child.exitCode !== null || count('broken') > 0;
    assert.ok(
      (await until(() => count('ok') >= 12 || crashed())) && !crashed(),
      'requests succeed before the outage',
    );
    proxy.cut();
    const cutAt = outcomes.length;
    assert.ok(
      (await until(
        () => count('error', cutAt) + count('stream-error', cutAt) >= 2 * WORKERS || crashed(),
      )) && !crashed(),
      `requests fail during the outage, and Rialto lives:\n${server.log()}`,
    );
    proxy.restore();
    const restoredAt = outcomes.length;
    assert.ok(
      (await until(() => count('ok', restoredAt) >= 12 || crashed())) && !crashed(),
      'requests succeed again once the database is back',
    );
    stop = true;
    await Promise.all(workers);

    assert.equal(server.child.exitCode, null, `Rialto is still running:\n${server.log()}`);
    assert.equal((await fetch(`${server.url.replace(/\/api\/v1$/, '')}/health`)).status, 200);
    assert.deepEqual(
      outcomes.filter((outcome) => outcome.kind === 'broken'),
      [],
      'every request got an answer',
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'error') {
        assert.ok(
          outcome.status >= 500,
          `a ${outcome.status} during a database outage: ${JSON.stringify(outcome.body)}`,
        );
        assert.equal(
          typeof (outcome.body as { error?: unknown }).error,
          'string',
          `a Venice error body: ${JSON.stringify(outcome.body)}`,
        );
      } else if (outcome.kind === 'stream-error') {
        assert.ok(
          (outcome.event.error?.status ?? 0) >= 500,
          `a Venice 5xx event: ${JSON.stringify(outcome.event)}`,
        );
      }
    }
    t.diagnostic(
      `${outcomes.length} requests: ${count('ok')} ok, ${count('error')} errors, ${count('stream-error')} stream errors`,
    );

    // Reservations whose settlement failed are released once their 2 s lease runs out (the server sweeps each second).
    const records = await assertBooksBalance(setup, FUNDED_USD);
    const charged = new Set(
      records
        .filter((record) => record.status === 'completed' && record.amount > 0)
        .map((record) => record.requestId),
    );
    const unrecorded = outcomes.flatMap((outcome) =>
      outcome.kind === 'ok' && !charged.has(outcome.id) ? [outcome.id] : [],
    );
    assert.deepEqual(unrecorded, [], 'every request served was charged and recorded');
    assert.ok(
      records.every((record) => ['completed', 'failed', 'lease_expired'].includes(record.status)),
      `statuses: ${[...new Set(records.map((record) => record.status))].join(', ')}`,
    );
  } finally {
    stop = true;
    await Promise.all(workers);
    server.child.kill('SIGKILL');
    await once(server.child, 'exit').catch(() => undefined);
    await proxy.close();
    await upstream.close();
    await setup.close();
    await dropSchema(schema);
    rmSync(directory, { recursive: true, force: true });
  }
});
