// Issue #6 at the process level: `rialto serve` processes relaying video and music jobs to a Venice job API
// double (a real HTTP server in this test's process). Two processes sharing PostgreSQL (pg-boss) run 50 queued
// jobs, each once; a process killed with SIGKILL in the middle of 10 running jobs is restarted, and all 10
// complete, each submitted upstream once and charged once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toNanos } from '../../src/services/billing/money.ts';
import { parseConfig } from '../../src/config.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';
import {
  dropSchema,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { RIALTO_BIN, spawnRialto, type SpawnedRialto } from '../support/spawn-rialto.ts';
import { VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';

/** Every wait is bounded by this, generous so that a loaded machine never fails the test. */
const BOUND_MS = 120_000;
/** $0.01 a second of video (5 s: $0.05); $0.02 a music generation. */
const VIDEO_QUOTE = 0.05;
const MUSIC_QUOTE = 0.02;

interface Setup {
  config: string;
  environment: NodeJS.ProcessEnv;
  key: string;
  directory: string;
}

/** A config with a video and a music model on the double, a funded account and an INFERENCE key. */
function setUp(upstream: VeniceJobsServer, environment: NodeJS.ProcessEnv): Setup {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-jobs-processes-'));
  const config = join(directory, 'rialto.yaml');
  const engine = `{ kind: venice, endpoints: [{ url: "${upstream.url}" }] }`;
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'rateLimits: { enabled: false }',
      'discoverModels: false',
      // A dead process's jobs are taken over 2 s after its last claim renewal.
      'jobs: { workers: 6, pollIntervalMs: 100, claimSeconds: 2 }',
      'models:',
      `  - { id: clip, type: video, engine: ${engine}, videoConstraints: { durations: ["5s"], resolutions: ["720p"] },`,
      '      pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, per_second: { usd: 0.01, diem: 0.01 } } }',
      `  - { id: tune, type: music, engine: ${engine}, pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, generation: { usd: 0.02, diem: 0.02 } } }`,
      '',
    ].join('\n'),
  );
  const created = spawnSync(
    process.execPath,
    [RIALTO_BIN, 'keys', 'create', '--type', 'INFERENCE', '--config', config],
    { encoding: 'utf8', env: environment },
  );
  const key = created.stdout.trim();
  assert.match(key, /^rk-/, created.stderr);
  assert.equal(
    spawnSync(process.execPath, [RIALTO_BIN, 'balance', 'add', '10', '--config', config], {
      env: environment,
    }).status,
    0,
  );
  return { config, environment, key, directory };
}

interface Queued {
  queueId: string;
  kind: 'video' | 'music';
  prompt: string;
}

async function call(
  server: SpawnedRialto,
  key: string,
  path: string,
  body: unknown,
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function queue(
  server: SpawnedRialto,
  key: string,
  kind: 'video' | 'music',
  prompt: string,
): Promise<Queued> {
  const body =
    kind === 'video'
      ? { model: 'clip', prompt, duration: '5s', resolution: '720p' }
      : { model: 'tune', prompt };
  const response = await call(
    server,
    key,
    kind === 'video' ? '/video/queue' : '/audio/queue',
    body,
  );
  const answer = (await response.json()) as { queue_id: string };
  assert.equal(response.status, 200, JSON.stringify(answer));
  return { queueId: answer.queue_id, kind, prompt };
}

/** Retrieves the job until its media comes (asserting it is the upstream's), bounded. */
async function mediaOf(
  server: SpawnedRialto,
  key: string,
  job: Queued,
  upstream: VeniceJobsServer,
): Promise<void> {
  const end = Date.now() + BOUND_MS;
  const [path, model] =
    job.kind === 'video' ? ['/video/retrieve', 'clip'] : ['/audio/retrieve', 'tune'];
  for (;;) {
    const response = await call(server, key, path, { model, queue_id: job.queueId });
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 200 && !type.startsWith('application/json')) {
      const bytes = Buffer.from(await response.arrayBuffer());
      assert.ok(
        bytes.equals(job.kind === 'video' ? upstream.video : upstream.audio),
        `job ${job.queueId}: the upstream's media`,
      );
      return;
    }
    const text = await response.text();
    assert.equal(response.status, 200, `job ${job.queueId}: ${text}`);
    if (Date.now() > end) assert.fail(`job ${job.queueId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Each job was queued upstream once, charged its quote once, and nothing stays reserved. */
async function assertBilledOnce(
  store: Store,
  jobs: Queued[],
  upstream: VeniceJobsServer,
): Promise<void> {
  for (const job of jobs)
    assert.equal(
      upstream.queuesFor(job.prompt).length,
      1,
      `${job.prompt} was submitted upstream once`,
    );
  const records = await store.usage.list({ accountId: 'default', limit: 10_000 });
  assert.equal(records.length, jobs.length, 'one usage record per job');
  for (const job of jobs) {
    const mine = records.filter((record) => record.requestId === job.queueId);
    assert.deepEqual(
      mine.map((record) => [record.status, record.amount]),
      [['completed', toNanos(job.kind === 'video' ? VIDEO_QUOTE : MUSIC_QUOTE)]],
      job.queueId,
    );
  }
  const charged = jobs.reduce(
    (sum, job) => sum + toNanos(job.kind === 'video' ? VIDEO_QUOTE : MUSIC_QUOTE),
    0,
  );
  const account = (await store.accounts.find('default'))!;
  assert.equal(account.usdReserved, 0, 'nothing is left reserved');
  assert.equal(account.usdBalance, toNanos(10) - charged, 'charged each job once');
  const states = await store.jobs.countByState();
  assert.deepEqual(states, { COMPLETED: jobs.length });
}

async function stop(server: SpawnedRialto): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

test('two processes sharing PostgreSQL run 50 queued jobs (video and music): each submitted once, completed, charged once', async () => {
  const upstream = await VeniceJobsServer.start({ pollsUntilDone: 3 });
  const schema = uniqueSchemaName();
  const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;
  const setup = setUp(upstream, { ...process.env, DATABASE_URL: databaseUrl });
  const servers: SpawnedRialto[] = [];
  try {
    servers.push(
      ...(await Promise.all([
        spawnRialto(setup.config, setup.environment),
        spawnRialto(setup.config, setup.environment),
      ])),
    );
    const jobs = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        queue(servers[index % 2]!, setup.key, index % 5 === 4 ? 'music' : 'video', `take ${index}`),
      ),
    );
    // Each job is retrieved from the process that did not queue it: the store is what they share.
    await Promise.all(
      jobs.map((job, index) => mediaOf(servers[(index + 1) % 2]!, setup.key, job, upstream)),
    );
    const store = await openStore(parseConfig({ database: { url: databaseUrl } }));
    try {
      await assertBilledOnce(store, jobs, upstream);
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all(servers.map(stop));
    await upstream.close();
    await dropSchema(schema);
    rmSync(setup.directory, { recursive: true, force: true });
  }
});

test('SIGKILL in the middle of 10 running jobs, then a restart: all 10 complete, each submitted once and charged once', async () => {
  const upstream = await VeniceJobsServer.start({ pollsUntilDone: 2 });
  const setup = setUp(upstream, process.env);
  const database = join(setup.directory, 'data', 'rialto.db');
  let server = await spawnRialto(setup.config);
  try {
    // The upstream holds every job PROCESSING until the restart.
    upstream.holding = true;
    const jobs = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        queue(server, setup.key, index < 7 ? 'video' : 'music', `crash take ${index}`),
      ),
    );
    const end = Date.now() + BOUND_MS;
    while (
      jobs.some((job) => upstream.queuesFor(job.prompt).length === 0) ||
      upstream.callsTo('/api/v1/video/retrieve').length < 7
    ) {
      if (Date.now() > end) assert.fail('the jobs were not all submitted and polled');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const store = await openSqliteStore(database);
    try {
      assert.deepEqual(
        await store.jobs.countByState(),
        { PROCESSING: 10 },
        'all 10 run on the upstream when the process dies',
      );
      assert.equal(
        (await store.accounts.find('default'))!.usdReserved,
        toNanos(7 * VIDEO_QUOTE + 3 * MUSIC_QUOTE),
        'their quotes are reserved',
      );
    } finally {
      await store.close();
    }
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');

    server = await spawnRialto(setup.config);
    upstream.holding = false;
    await Promise.all(jobs.map((job) => mediaOf(server, setup.key, job, upstream)));
    const after = await openSqliteStore(database);
    try {
      await assertBilledOnce(after, jobs, upstream);
    } finally {
      await after.close();
    }
  } finally {
    await stop(server);
    await upstream.close();
    rmSync(setup.directory, { recursive: true, force: true });
  }
});
