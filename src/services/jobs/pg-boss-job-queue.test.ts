// PgBossJobQueue on a real PostgreSQL: two queues (as two processes would run them) sharing one schema drive
// jobs through JobRunner and the venice engine against the Venice job API double (a real HTTP server on 127.0.0.1,
// test/support/upstream/venice-jobs-server.ts); each job is submitted once and charged once, and jobs a crashed
// process left claimed are taken over without being submitted again. Each process's engine sends its own key, so
// the double's calls say which process submitted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, type JobsConfig, type VeniceEngineConfig } from '../../config.ts';
import { VeniceJobEngine } from '../../engines/venice/venice-job-engine.ts';
import { openPostgresStore } from '../../storage/postgres-store.ts';
import type { ApiKeyRecord, Store } from '../../storage/store.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../../../test/support/postgres-test-database.ts';
import { VeniceJobsServer } from '../../../test/support/upstream/venice-jobs-server.ts';
import { Meter } from '../billing/meter.ts';
import { toNanos } from '../billing/money.ts';
import { KeyService } from '../key-service.ts';
import { ModelRegistry } from '../model-registry.ts';
import type { JobQueue } from './job-queue.ts';
import { JobRunner } from './job-runner.ts';
import { JobService } from './job-service.ts';
import { LocalDiskMediaStorage } from './media-storage.ts';
import { PgBossJobQueue, pgBossSchemaOf } from './pg-boss-job-queue.ts';

const skip = await postgresUnavailable();
const logger = pino({ level: 'silent' });
const jobsConfig: JobsConfig = parseConfig({
  jobs: { workers: 4, pollIntervalMs: 100, claimSeconds: 2, deadlineSeconds: 600 },
}).jobs;
const PRICING = {
  input: { usd: 0, diem: 0 },
  output: { usd: 0, diem: 0 },
  per_second: { usd: 0.1, diem: 0.1 },
};

const schema = uniqueSchemaName();
const url = `${TEST_DATABASE_URL}?schema=${schema}`;
const media = mkdtempSync(join(tmpdir(), 'rialto-pgboss-'));
/** A queue that dispatches nothing: jobs it is told of wait in the store (as after a crash). */
const NO_QUEUE: JobQueue = { start: async () => {}, notify: async () => {}, stop: async () => {} };

/** What one process holds: its registry (a venice engine sending the key `tag`), meter, runner, queue and service. */
function processOn(store: Store, api: VeniceJobsServer, tag: string, dispatch: boolean) {
  const modelConfig = parseConfig({
    models: [
      {
        id: 'clip',
        type: 'video',
        engine: { kind: 'venice', endpoints: [{ url: api.url, apiKey: tag }] },
        pricing: PRICING,
      },
    ],
  }).models[0]!;
  const engine = new VeniceJobEngine(modelConfig.engine as VeniceEngineConfig);
  const registry = new ModelRegistry([{ config: modelConfig, engine, engineModel: 'clip-up' }]);
  const meter = new Meter(store, undefined, { leaseSeconds: 60 });
  const storage = new LocalDiskMediaStorage(media);
  const runner = new JobRunner({
    store,
    registry,
    media: storage,
    meter,
    config: jobsConfig,
    logger,
  });
  const queue = dispatch ? new PgBossJobQueue(store, runner, jobsConfig, url, logger) : NO_QUEUE;
  const service = new JobService({ store, registry, media: storage, queue, config: jobsConfig });
  const queueJob = async (prompt: string, key: ApiKeyRecord) =>
    (
      await service.queue(
        'video',
        registry.entries[0]!,
        { prompt, duration: '5s' },
        { usd: 0.5, diem: 0.5 },
        { ledger: 'account', key },
        meter.for(key),
      )
    ).job;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await queue.stop();
    meter.close();
    await engine.close();
  };
  return { engine, queueJob, start: () => queue.start(), close };
}

/** The processes (keys) that queued jobs at the double. */
function submitters(api: VeniceJobsServer): Set<string> {
  return new Set(api.callsTo('/api/v1/video/queue').map((call) => call.authorization ?? ''));
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let turn = 0; turn < 600; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`gave up waiting until ${what}`);
}

describe('PgBossJobQueue', { skip }, () => {
  let api: VeniceJobsServer;
  let stores: Store[] = [];
  let key: ApiKeyRecord;

  before(async () => {
    api = await VeniceJobsServer.start({ pollsUntilDone: 2 });
    stores = [
      await openPostgresStore(TEST_DATABASE_URL, { schema }),
      await openPostgresStore(TEST_DATABASE_URL, { schema }),
    ];
    key = (
      await new KeyService(stores[0]!).create({ apiKeyType: 'INFERENCE', description: 'jobs' })
    ).record;
    await stores[0]!.accounts.credit('default', 'USD', toNanos(100));
  });

  after(async () => {
    await api.close();
    for (const store of stores) await store.close();
    await dropSchema(schema);
    rmSync(media, { recursive: true, force: true });
  });

  it('names pg-boss schema after the Rialto schema, within pg-boss limits', () => {
    assert.equal(pgBossSchemaOf(undefined), 'pgboss');
    assert.equal(pgBossSchemaOf('rialto_a'), 'rialto_a_pgboss');
    assert.match(pgBossSchemaOf('s'.repeat(60)), /^pgboss_[0-9a-f]{24}$/);
  });

  it('two processes sharing the schema run 30 jobs: each submitted once, completed and charged once, by both', async () => {
    const [one, two] = [
      processOn(stores[0]!, api, 'p0', true),
      processOn(stores[1]!, api, 'p1', true),
    ];
    try {
      await Promise.all([one.start(), two.start()]);
      const ids = await Promise.all(
        Array.from(
          { length: 30 },
          async (_, index) =>
            (await (index % 2 === 0 ? one : two).queueJob(`replicas ${index}`, key)).id,
        ),
      );
      await until(
        async () => (await stores[0]!.jobs.countByState()).COMPLETED === 30,
        'all 30 jobs completed',
      );
      for (let index = 0; index < 30; index++)
        assert.equal(
          api.queuesFor(`replicas ${index}`).length,
          1,
          `job ${index} was submitted once`,
        );
      const usage = await stores[0]!.usage.list({ accountId: 'default', limit: 1000 });
      const charged = usage.filter((record) => ids.includes(record.requestId));
      assert.equal(charged.length, 30);
      assert.ok(
        charged.every((record) => record.status === 'completed' && record.amount === toNanos(0.5)),
      );
      assert.deepEqual(
        submitters(api),
        new Set(['Bearer p0', 'Bearer p1']),
        'both processes submitted jobs',
      );
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('takes over the jobs a crashed process held (claims run out) and those it never dispatched, submitting none twice', async () => {
    const crashed = processOn(stores[0]!, api, 'crashed', false);
    const restarted = processOn(stores[1]!, api, 'restarted', true);
    try {
      const jobs = await Promise.all(
        Array.from({ length: 6 }, (_, index) => crashed.queueJob(`crash ${index}`, key)),
      );
      // The crashed process had submitted the first four and still held them for a second; the last two it never touched.
      for (const job of jobs.slice(0, 4)) {
        const now = Date.now();
        assert.ok(
          await stores[0]!.jobs.claim(
            'dead:1',
            new Date(now).toISOString(),
            new Date(now + 1000).toISOString(),
            job.id,
          ),
        );
        const { engineJobId } = await crashed.engine.submit(
          { kind: 'video', model: 'clip-up', request: job.request },
          { signal: AbortSignal.timeout(5000) },
        );
        assert.ok(
          await stores[0]!.jobs.update(
            job.id,
            { state: 'PROCESSING', engineJobId },
            { claimedBy: 'dead:1' },
          ),
        );
      }
      await crashed.close();
      await restarted.start();
      await until(
        async () =>
          (await Promise.all(jobs.map((job) => stores[1]!.jobs.find(job.id)))).every(
            (job) => job?.state === 'COMPLETED',
          ),
        'the 6 jobs completed',
      );
      for (let index = 0; index < 6; index++)
        assert.equal(api.queuesFor(`crash ${index}`).length, 1, `job ${index} was submitted once`);
      // The restarted process submitted the two the crashed one never touched, and only those.
      assert.deepEqual(
        new Set(
          api
            .callsTo('/api/v1/video/queue')
            .filter((call) => call.authorization === 'Bearer restarted')
            .map((call) => call.body?.prompt),
        ),
        new Set(['crash 4', 'crash 5']),
      );
      const usage = await stores[1]!.usage.list({ accountId: 'default', limit: 1000 });
      assert.equal(
        usage.filter((record) => jobs.some((job) => job.id === record.requestId)).length,
        6,
      );
    } finally {
      await Promise.all([crashed.close(), restarted.close()]);
    }
  });
});
