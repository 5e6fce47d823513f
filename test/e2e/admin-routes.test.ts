// Rialto's operator API under /api/v1/admin (src/routes/admin), through real HTTP: ADMIN keys only, accounts and
// top-ups, engine health, async jobs, the breach log of every key, and usage by day, key and model.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toNanos } from '../../src/services/billing/money.ts';
import type { JobRecord, UsageRecord } from '../../src/storage/store.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';

type Json = Record<string, unknown>;

describe('/admin routes', () => {
  let a1111: Automatic1111Server;
  let rialto: TestRialto;
  let otherKeyId: string;

  const call = async (
    method: string,
    path: string,
    options: { key?: string | null; body?: unknown } = {},
  ): Promise<{ status: number; body: Json }> => {
    const key = options.key === undefined ? rialto.adminKey : options.key;
    const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${rialto.baseURL}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };

  before(async () => {
    a1111 = await startAutomatic1111Server();
    rialto = await startRialto(
      {
        rateLimits: { enabled: true, overrides: { image: { requestsPerMinute: 1 } } },
        models: [
          {
            id: 'sd',
            type: 'image',
            engine: { kind: 'automatic1111', endpoints: [{ url: a1111.url }] },
          },
          // Nothing listens on port 9: an engine that is down.
          {
            id: 'gone',
            engine: { kind: 'openai-compatible', endpoints: [{ url: 'http://127.0.0.1:9/v1' }] },
          },
        ],
      },
      { database: 'sqlite' },
    );
    otherKeyId = (
      await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'other app',
        accountId: 'other',
      })
    ).record.id;
  });
  after(async () => {
    await rialto?.close();
    await a1111?.close();
  });

  it('refuses callers without a key (401) and INFERENCE keys (403)', async () => {
    for (const [method, path] of [
      ['GET', '/admin/accounts'],
      ['POST', '/admin/accounts/default/top-up'],
      ['GET', '/admin/engines'],
      ['GET', '/admin/jobs'],
      ['GET', '/admin/rate-limits/log'],
      ['GET', '/admin/usage'],
    ] as const) {
      assert.equal((await call(method, path, { key: null })).status, 401, path);
      const refused = await call(method, path, { key: rialto.inferenceKey });
      assert.deepEqual(
        [refused.status, refused.body],
        [403, { error: 'Unauthorized access' }],
        path,
      );
    }
  });

  it('lists every account with free balances and active keys; tops one up', async () => {
    const listed = await call('GET', '/admin/accounts');
    assert.equal(listed.status, 200);
    const accounts = listed.body.data as Json[];
    assert.deepEqual(
      accounts.map((account) => [account.id, account.activeKeys]),
      [
        ['default', 2],
        ['other', 1],
      ],
    );
    assert.deepEqual(accounts[0]?.balances, { usd: 1000, diem: 0 });

    const topped = await call('POST', '/admin/accounts/other/top-up', {
      body: { amount: 12.5, currency: 'DIEM' },
    });
    assert.equal(topped.status, 200);
    assert.deepEqual((topped.body.data as Json).balances, { usd: 0, diem: 12.5 });
    assert.equal((await rialto.store.accounts.find('other'))?.diemBalance, toNanos(12.5));
  });

  it('refuses a bad top-up: unknown account, non-positive or missing amount, unknown field', async () => {
    const unknown = await call('POST', '/admin/accounts/nobody/top-up', {
      body: { amount: 1, currency: 'USD' },
    });
    assert.deepEqual([unknown.status, unknown.body.error], [400, 'Account not found']);
    for (const body of [
      { amount: 0, currency: 'USD' },
      { amount: -5, currency: 'USD' },
      { currency: 'USD' },
      { amount: 1, currency: 'EUR' },
      { amount: 1, currency: 'USD', note: 'x' },
    ]) {
      const refused = await call('POST', '/admin/accounts/default/top-up', { body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.ok(Array.isArray(refused.body.issues), JSON.stringify(refused.body));
    }
    assert.equal((await rialto.store.accounts.find('default'))?.usdBalance, toNanos(1000));
  });

  it('refuses a top-up past what a balance holds, or below the smallest unit, and the account still reads (#15.6)', async () => {
    const diemOf = async (): Promise<unknown> => {
      const listed = await call('GET', '/admin/accounts');
      assert.equal(listed.status, 200);
      return (
        (listed.body.data as Json[]).find((account) => account.id === 'default')!.balances as Json
      ).diem;
    };
    for (const amount of [1e9, 9007199.3, 1e-12, 4e-10]) {
      const refused = await call('POST', '/admin/accounts/default/top-up', {
        body: { amount, currency: 'DIEM' },
      });
      assert.equal(refused.status, 400, `${amount}: ${JSON.stringify(refused.body)}`);
    }
    assert.equal(await diemOf(), 0);
    const filled = await call('POST', '/admin/accounts/default/top-up', {
      body: { amount: 9007199, currency: 'DIEM' },
    });
    assert.equal(filled.status, 200);
    // Each top-up fits on its own; the sum is what the store refuses.
    const over = await call('POST', '/admin/accounts/default/top-up', {
      body: { amount: 1, currency: 'DIEM' },
    });
    assert.deepEqual(
      [over.status, over.body.error],
      [400, 'The DIEM balance would pass 9007199.254740991, the most an account holds'],
    );
    assert.equal(await diemOf(), 9007199);
    await rialto.store.accounts.credit('default', 'DIEM', -toNanos(9007199));
  });

  it('checks every engine now: the A1111 double up, the missing upstream down', async () => {
    const { status, body } = await call('GET', '/admin/engines');
    assert.equal(status, 200);
    const engines = body.data as Json[];
    assert.deepEqual(
      engines.map((engine) => [engine.modelId, engine.type, engine.engine, engine.healthy]),
      [
        ['sd', 'image', 'automatic1111', true],
        ['gone', 'text', 'openai-compatible', false],
      ],
    );
    assert.ok(
      engines.every(
        (engine) => typeof engine.detail === 'string' && typeof engine.latencyMs === 'number',
      ),
    );
  });

  it('lists jobs newest first with counts by state, filtered by state, limited', async () => {
    const job = (
      id: string,
      createdAt: string,
      overrides: Partial<JobRecord> = {},
    ): Omit<JobRecord, 'updatedAt'> => ({
      id,
      kind: 'video',
      modelId: 'wan',
      accountId: 'default',
      keyId: 'k1',
      request: { prompt: `${id} ${'x'.repeat(300)}` },
      state: 'QUEUED',
      progress: null,
      engineJobId: null,
      resultKey: null,
      resultContentType: null,
      resultBytes: null,
      errorCode: null,
      errorMessage: null,
      refunded: false,
      attempts: 0,
      reservationId: null,
      quote: toNanos(0.25),
      deleteOnDelivery: false,
      createdAt,
      startedAt: null,
      completedAt: null,
      deadlineAt: '2099-01-01T00:00:00.000Z',
      nextRunAt: '2099-01-01T00:00:00.000Z',
      claimedBy: null,
      claimUntil: null,
      downloadTokenHash: null,
      downloadRevokedAt: null,
      ...overrides,
    });
    await rialto.store.jobs.insert(
      job('first', '2026-03-01T00:00:00.000Z', {
        state: 'FAILED',
        errorCode: 'INFERENCE_FAILED',
        refunded: true,
      }),
    );
    await rialto.store.jobs.insert(job('second', '2026-03-02T00:00:00.000Z'));
    const all = await call('GET', '/admin/jobs');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.counts, { FAILED: 1, QUEUED: 1 });
    const jobs = all.body.data as Json[];
    assert.deepEqual(
      jobs.map((entry) => entry.id),
      ['second', 'first'],
    );
    assert.equal((jobs[0]!.prompt as string).length, 200);
    assert.deepEqual(
      [jobs[1]?.state, jobs[1]?.quote, jobs[1]?.refunded, jobs[1]?.errorCode],
      ['FAILED', 0.25, true, 'INFERENCE_FAILED'],
    );
    assert.deepEqual(
      ((await call('GET', '/admin/jobs?state=FAILED')).body.data as Json[]).map(
        (entry) => entry.id,
      ),
      ['first'],
    );
    assert.deepEqual(
      ((await call('GET', '/admin/jobs?limit=1')).body.data as Json[]).map((entry) => entry.id),
      ['second'],
    );
    for (const query of ['limit=0', 'limit=201', 'state=DONE', 'page=2'])
      assert.equal((await call('GET', `/admin/jobs?${query}`)).status, 400, query);
  });

  it('logs the rate-limit refusals of every key, with the key and its account', async () => {
    const generate = (): Promise<Response> =>
      fetch(`${rialto.baseURL}/image/generate`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'sd', prompt: 'a bridge' }),
      });
    assert.equal((await generate()).status, 200);
    assert.equal((await generate()).status, 429);
    const { status, body } = await call('GET', '/admin/rate-limits/log');
    assert.equal(status, 200);
    assert.equal(body.enabled, true);
    const [breach, ...rest] = body.data as Json[];
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...breach, apiKeyId: undefined, timestamp: undefined },
      {
        apiKeyId: undefined,
        timestamp: undefined,
        keyDescription: 'test inference',
        accountId: 'default',
        modelId: 'sd',
        rateLimitTier: 'image',
        rateLimitType: 'RPM',
      },
    );
  });

  it("sums the caller account's usage per day, key and model, failures and free requests included", async () => {
    const today = new Date().toISOString();
    const record = (id: string, overrides: Partial<UsageRecord>): UsageRecord => ({
      id,
      requestId: id,
      accountId: 'default',
      keyId: 'k-a',
      modelId: 'chat',
      modelType: 'text',
      currency: 'USD',
      amount: 0,
      promptTokens: 0,
      completionTokens: 0,
      cachedTokens: 0,
      status: 'completed',
      executionMs: 5,
      createdAt: today,
      ...overrides,
    });
    await rialto.store.usage.insert(
      record('u1', {
        amount: toNanos(0.1),
        promptTokens: 10,
        completionTokens: 5,
        cachedTokens: 2,
      }),
    );
    await rialto.store.usage.insert(
      record('u2', {
        amount: toNanos(0.2),
        promptTokens: 1,
        completionTokens: 1,
        currency: 'DIEM',
      }),
    );
    await rialto.store.usage.insert(record('u3', { status: 'failed' }));
    await rialto.store.usage.insert(
      record('u4', { keyId: otherKeyId, accountId: 'other', amount: toNanos(9) }),
    );
    const { status, body } = await call('GET', '/admin/usage?lookback=3d');
    assert.equal(status, 200);
    assert.equal(body.lookback, '3d');
    assert.equal((body.dates as string[]).length, 3);
    const rows = (body.data as Json[]).filter((row) => row.modelId === 'chat');
    assert.deepEqual(rows, [
      {
        date: today.slice(0, 10),
        apiKeyId: 'k-a',
        modelId: 'chat',
        modelType: 'text',
        requests: 3,
        failed: 1,
        promptTokens: 11,
        completionTokens: 6,
        cachedTokens: 2,
        usd: 0.1,
        diem: 0.2,
      },
    ]);
    // The image requests of the breach test are there too (free, so no cost), and key descriptions come along.
    assert.ok(
      (body.data as Json[]).some((row) => row.modelId === 'sd' && row.modelType === 'image'),
    );
    assert.ok((body.keys as Json[]).some((key) => key.description === 'test inference'));
    assert.equal((await call('GET', '/admin/usage?lookback=91d')).status, 400);
  });
});
