// Issue #10 item 3: four Rialto processes sharing PostgreSQL and Redis behind a round-robin proxy, under a bounded
// mixed load (chat JSON and streams, embeddings, priced) while keys are created, updated and revoked through the
// admin API. Limits are exact across replicas, the books balance, and a key revoked or re-limited on one replica
// is refused (or admitted) by every replica in its first request after the answer to that change. The replicas
// trust a key record they read for KEY_CACHE_MS, longer than the test, so only the key-change channel over Redis
// can tell them (how fast it does is measured by bench/key-propagation.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import { openStore } from '../../src/storage/open-store.ts';
import type { UsageRecord } from '../../src/storage/store.ts';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { RIALTO_BIN, spawnRialto, type SpawnedRialto } from '../support/spawn-rialto.ts';
import { tearDownReplicas } from '../support/replica-teardown.ts';
import { TEST_DATABASE_URL, uniqueSchemaName } from '../support/postgres-test-database.ts';
import { startRoundRobinProxy } from '../support/round-robin-proxy.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import { readSse } from '../support/read-sse.ts';

const REPLICAS = 4;
const RPM_LIMIT = 10;
const RPM_EXTRA = 5;
const SPEND_LIMIT_USD = 0.02;
const FUNDING_USD = 100;
const LOAD_WORKERS = 6;
const LOAD_REQUESTS_PER_WORKER = 18;
const CHURN_CYCLES = 3;
/** keyCacheMs of the replicas: no cached key record expires during the test. */
const KEY_CACHE_MS = 600_000;
/** USD per 1M tokens: a chat request's worst case (16 completion tokens) is about 0.004 USD. */
const PRICING = { input: { usd: 100, diem: 100 }, output: { usd: 200, diem: 200 } };

type Kind = 'json' | 'stream' | 'embedding';

/** The cluster as the test drives it; `billed` counts 200 answers to priced requests (one usage record each). */
interface Cluster {
  proxy: string;
  replicas: string[];
  adminKey: string;
  billed: number;
}

async function admin(
  cluster: Cluster,
  origin: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: { data?: Record<string, unknown> } }> {
  const response = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${cluster.adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json()) as { data?: Record<string, unknown> };
  validateResponse({ method, path, status: response.status, body: parsed });
  return { status: response.status, body: parsed };
}

async function createKey(
  cluster: Cluster,
  description: string,
  usdLimit: number | null = null,
): Promise<{ id: string; apiKey: string }> {
  const created = await admin(cluster, cluster.proxy, 'POST', '/api_keys', {
    apiKeyType: 'INFERENCE',
    description,
    ...(usdLimit === null ? {} : { consumptionLimit: { usd: usdLimit } }),
  });
  assert.equal(created.status, 200);
  return { id: String(created.body.data?.id), apiKey: String(created.body.data?.apiKey) };
}

/** One priced request; a 200's body (every SSE chunk) is checked against the swagger and counted as billed. */
async function infer(
  cluster: Cluster,
  origin: string,
  apiKey: string,
  kind: Kind,
  model = 'chat',
): Promise<{ status: number; error: string }> {
  const path = kind === 'embedding' ? '/embeddings' : '/chat/completions';
  const body =
    kind === 'embedding'
      ? { model: 'embed', input: 'replicas under load' }
      : {
          model,
          messages: [{ role: 'user', content: '#plain hi' }],
          max_tokens: 16,
          ...(kind === 'stream' ? { stream: true } : {}),
        };
  const response = await fetch(`${origin}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200)
    return {
      status: response.status,
      error: String(((await response.json()) as { error?: unknown }).error),
    };
  cluster.billed += 1;
  if (kind === 'stream') {
    const events = await readSse(response);
    assert.equal(events.at(-1), '[DONE]');
    for (const event of events.slice(0, -1)) validateChatCompletionChunk(JSON.parse(event));
  } else {
    validateResponse({ method: 'POST', path, status: 200, body: await response.json() });
  }
  return { status: 200, error: '' };
}

/** GET /api_keys/rate_limits: any key about itself, nothing billed; 401 once the key is refused. */
async function keyStatus(origin: string, apiKey: string): Promise<number> {
  const response = await fetch(`${origin}/api/v1/api_keys/rate_limits`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Sends each replica one probe at once, right after the answer to a change made on one of them, and asserts that
 * each applied the change in that very first request: with records cached for KEY_CACHE_MS, only the key-change
 * channel can have made them drop their copy.
 */
async function appliedEverywhere(
  cluster: Cluster,
  label: string,
  probe: (origin: string) => Promise<number>,
  wanted: (status: number) => boolean,
): Promise<void> {
  const statuses = await Promise.all(cluster.replicas.map((origin) => probe(origin)));
  assert.ok(
    statuses.every(wanted),
    `${label}: the first answers of the ${REPLICAS} replicas were ${statuses.join(', ')}`,
  );
}

async function load(cluster: Cluster, keys: string[], worker: number): Promise<void> {
  for (let index = 0; index < LOAD_REQUESTS_PER_WORKER; index += 1) {
    const kind = (['json', 'stream', 'embedding'] as const)[(worker + index) % 3]!;
    const answer = await infer(cluster, cluster.proxy, keys[(worker + index) % keys.length]!, kind);
    assert.equal(answer.status, 200, `load ${kind}: ${answer.error}`);
  }
}

/** A requests-per-minute limit of RPM_LIMIT admits exactly that many of RPM_LIMIT + RPM_EXTRA sent at once. */
async function requestsPerMinute(cluster: Cluster): Promise<void> {
  const { apiKey } = await createKey(cluster, 'requests per minute');
  const answers = await Promise.all(
    Array.from({ length: RPM_LIMIT + RPM_EXTRA }, (_, index) =>
      infer(cluster, cluster.proxy, apiKey, index % 2 === 0 ? 'json' : 'stream', 'limited'),
    ),
  );
  assert.equal(answers.filter(({ status }) => status === 200).length, RPM_LIMIT);
  assert.equal(answers.filter(({ status }) => status === 429).length, RPM_EXTRA);
}

/** Spends a limited key to exhaustion, concurrently, then one request at a time; returns the key's id. */
async function spendLimit(cluster: Cluster): Promise<string> {
  const { id, apiKey } = await createKey(cluster, 'spend limit', SPEND_LIMIT_USD);
  const refusal = /API key USD spend limit exceeded/;
  await Promise.all(
    Array.from({ length: REPLICAS }, async (_, worker) => {
      for (let index = 0; ; index += 1) {
        const answer = await infer(
          cluster,
          cluster.proxy,
          apiKey,
          (worker + index) % 2 === 0 ? 'json' : 'stream',
        );
        if (answer.status === 200) continue;
        assert.equal(answer.status, 402);
        assert.match(answer.error, refusal);
        return;
      }
    }),
  );
  // Reservations above settle below their worst case: what they left is spent one request at a time.
  while ((await infer(cluster, cluster.proxy, apiKey, 'json')).status === 200);
  for (const origin of cluster.replicas) {
    const next = await infer(cluster, origin, apiKey, 'json');
    assert.equal(next.status, 402);
    assert.match(next.error, refusal);
  }
  return id;
}

/** Keys created, used, updated, used and revoked through the proxy; each revocation reaches every replica. */
async function churn(cluster: Cluster): Promise<void> {
  for (let cycle = 0; cycle < CHURN_CYCLES; cycle += 1) {
    const { id, apiKey } = await createKey(cluster, `churn ${cycle}`, 1);
    assert.equal((await infer(cluster, cluster.proxy, apiKey, 'json')).status, 200);
    const updated = await admin(cluster, cluster.proxy, 'PATCH', '/api_keys', {
      id,
      description: `churn ${cycle} updated`,
      consumptionLimit: { usd: 2 },
    });
    assert.deepEqual(updated.body.data?.consumptionLimits, { usd: 2, diem: null, vcu: null });
    assert.equal((await infer(cluster, cluster.proxy, apiKey, 'stream')).status, 200);
    assert.equal((await admin(cluster, cluster.proxy, 'DELETE', `/api_keys?id=${id}`)).status, 200);
    await appliedEverywhere(
      cluster,
      `churn ${cycle} revocation`,
      (origin) => keyStatus(origin, apiKey),
      (status) => status === 401,
    );
  }
}

/** A key every replica has cached is revoked on replica A; then re-limited and freed on replica B. */
async function revocationAndLimits(cluster: Cluster): Promise<void> {
  const revoked = await createKey(cluster, 'revoked under load');
  for (const origin of cluster.replicas) assert.equal(await keyStatus(origin, revoked.apiKey), 200);
  assert.equal(
    (await admin(cluster, cluster.replicas[0]!, 'DELETE', `/api_keys?id=${revoked.id}`)).status,
    200,
  );
  await appliedEverywhere(
    cluster,
    'revocation on replica A',
    (origin) => keyStatus(origin, revoked.apiKey),
    (status) => status === 401,
  );

  const limited = await createKey(cluster, 're-limited under load');
  const chat = async (origin: string): Promise<number> =>
    (await infer(cluster, origin, limited.apiKey, 'json')).status;
  for (const origin of cluster.replicas) assert.equal(await chat(origin), 200);
  assert.equal(
    (
      await admin(cluster, cluster.replicas[1]!, 'PATCH', '/api_keys', {
        id: limited.id,
        consumptionLimit: { usd: 0 },
      })
    ).status,
    200,
  );
  await appliedEverywhere(
    cluster,
    'spend limit 0 set on replica B',
    chat,
    (status) => status === 402,
  );
  assert.equal(
    (
      await admin(cluster, cluster.replicas[1]!, 'PATCH', '/api_keys', {
        id: limited.id,
        consumptionLimit: { usd: null },
      })
    ).status,
    200,
  );
  await appliedEverywhere(
    cluster,
    'spend limit removed on replica B',
    chat,
    (status) => status === 200,
  );
}

async function readUsage(
  configFile: string,
  environment: NodeJS.ProcessEnv,
): Promise<{
  records: UsageRecord[];
  balance: { usd: number; diem: number; usdReserved: number; diemReserved: number };
}> {
  const store = await openStore(loadConfig(configFile, environment));
  try {
    const records: UsageRecord[] = [];
    for (;;) {
      const last = records.at(-1);
      const page = await store.usage.list({
        accountId: 'default',
        limit: 500,
        ...(last === undefined ? {} : { after: { createdAt: last.createdAt, id: last.id } }),
      });
      records.push(...page);
      if (page.length < 500) break;
    }
    const account = await store.accounts.find('default');
    assert.ok(account !== undefined);
    return {
      records,
      balance: {
        usd: account.usdBalance,
        diem: account.diemBalance,
        usdReserved: account.usdReserved,
        diemReserved: account.diemReserved,
      },
    };
  } finally {
    await store.close();
  }
}

test('4 replicas behind a round-robin proxy under mixed load: exact limits, exact books, changes to keys applied by all in their first request', {
  timeout: 300_000,
}, async (t) => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const directory = mkdtempSync(join(tmpdir(), 'rialto-replicas-mixed-'));
  const schema = uniqueSchemaName();
  const prefix = `rialto-test:${schema}`;
  const environment = { ...process.env, DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` };
  const configFile = join(directory, 'rialto.yaml');
  const engine = (model: string): string =>
    `{ kind: openai-compatible, model: ${model}, endpoints: [{ url: "${replay.url}" }] }`;
  const pricing = `{ input: { usd: ${PRICING.input.usd}, diem: ${PRICING.input.diem} }, output: { usd: ${PRICING.output.usd}, diem: ${PRICING.output.diem} } }`;
  writeFileSync(
    configFile,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'systemPrompt: ""',
      `keyCacheMs: ${KEY_CACHE_MS}`,
      `rateLimits: { enabled: true, store: redis, redisUrl: "redis://127.0.0.1:6379", redisPrefix: "${prefix}", overrides: { S: { requestsPerMinute: 100000, tokensPerMinute: 100000000 }, embedding: { requestsPerMinute: 100000 }, L: { requestsPerMinute: ${RPM_LIMIT} } } }`,
      'models:',
      `  - { id: chat, engine: ${engine('Qwen/Qwen3-8B')}, pricing: ${pricing} }`,
      `  - { id: limited, rateLimitTier: L, engine: ${engine('Qwen/Qwen3-8B')}, pricing: ${pricing} }`,
      `  - { id: embed, type: embedding, engine: ${engine('BAAI/bge-small-en-v1.5')}, pricing: ${pricing} }`,
      '',
    ].join('\n'),
  );
  const servers: SpawnedRialto[] = [];
  let proxy: Awaited<ReturnType<typeof startRoundRobinProxy>> | undefined;
  try {
    const adminKey = spawnSync(
      process.execPath,
      [RIALTO_BIN, 'keys', 'create', '--type', 'ADMIN', '--config', configFile],
      { encoding: 'utf8', env: environment },
    ).stdout.trim();
    assert.match(adminKey, /^rk-/);
    assert.equal(
      spawnSync(
        process.execPath,
        [RIALTO_BIN, 'balance', 'add', String(FUNDING_USD), '--config', configFile],
        { env: environment },
      ).status,
      0,
    );
    servers.push(
      ...(await Promise.all(
        Array.from({ length: REPLICAS }, () => spawnRialto(configFile, environment)),
      )),
    );
    const replicas = servers.map(({ url }) => new URL(url).origin);
    proxy = await startRoundRobinProxy(replicas);
    const cluster: Cluster = { proxy: proxy.origin, replicas, adminKey, billed: 0 };
    const loadKeys = await Promise.all(
      [0, 1, 2].map(async (index) => (await createKey(cluster, `load ${index}`)).apiKey),
    );

    const started = performance.now();
    const [spendKeyId] = await Promise.all([
      spendLimit(cluster),
      requestsPerMinute(cluster),
      churn(cluster),
      revocationAndLimits(cluster),
      ...Array.from({ length: LOAD_WORKERS }, (_, worker) => load(cluster, loadKeys, worker)),
    ]);
    t.diagnostic(
      `${cluster.billed} billed requests in ${((performance.now() - started) / 1000).toFixed(1)} s; forwarded per replica: ${proxy.forwarded.join(', ')}`,
    );
    assert.ok(
      proxy.forwarded.every((count) => count > LOAD_WORKERS),
      'the proxy spread the load over every replica',
    );

    // The books, read once every process has stopped (SIGTERM: each settles what it was serving first).
    await Promise.all(
      servers.splice(0).map(async ({ child }) => {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }),
    );
    const { records, balance } = await readUsage(configFile, environment);
    const charged = (currency: 'USD' | 'DIEM', keyId?: string): number =>
      records
        .filter(
          (record) =>
            record.currency === currency && (keyId === undefined || record.keyId === keyId),
        )
        .reduce((sum, record) => sum + record.amount, 0);
    assert.equal(records.length, cluster.billed, 'one usage record per billed request');
    assert.ok(charged('USD') > 0);
    assert.equal(
      balance.usd,
      toNanos(FUNDING_USD) - charged('USD'),
      'USD balance = funding - sum of usage records',
    );
    assert.equal(balance.diem, 0 - charged('DIEM'), 'DIEM balance = 0 - sum of usage records');
    assert.deepEqual([balance.usdReserved, balance.diemReserved], [0, 0], 'nothing left reserved');
    const spent = charged('USD', spendKeyId);
    t.diagnostic(`spend-limited key: charged ${spent} of ${toNanos(SPEND_LIMIT_USD)} nanos USD`);
    assert.ok(
      spent > 0 && spent <= toNanos(SPEND_LIMIT_USD),
      `the spend-limited key was charged ${spent} nanos`,
    );
  } finally {
    await proxy?.close();
    await replay.close();
    await tearDownReplicas(
      servers.map(({ child }) => child),
      { redisPrefix: prefix, schema, directory },
    );
  }
});
