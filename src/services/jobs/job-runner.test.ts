// JobRunner's money paths on SQLite, stepped by hand against the Venice job API double through the real venice
// engine: a missed deadline refunds; a job charged by a worker that died before marking it done is completed, not
// failed or charged again; a job refunded meanwhile is failed when its engine finishes, its media not handed out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, type VeniceEngineConfig } from '../../config.ts';
import { VeniceJobEngine } from '../../engines/venice/venice-job-engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { openSqliteStore } from '../../storage/sqlite-store.ts';
import type { ApiKeyRecord, JobRecord, Store } from '../../storage/store.ts';
import { VeniceJobsServer } from '../../../test/support/upstream/venice-jobs-server.ts';
import { Meter } from '../billing/meter.ts';
import { toNanos } from '../billing/money.ts';
import { KeyService } from '../key-service.ts';
import { ModelRegistry } from '../model-registry.ts';
import type { JobQueue } from './job-queue.ts';
import { JobRunner } from './job-runner.ts';
import { JobService } from './job-service.ts';
import { LocalDiskMediaStorage } from './media-storage.ts';

const QUOTE = { usd: 0.5, diem: 0.5 };
/** Jobs wait in the store until a test steps them. */
const NO_QUEUE: JobQueue = { start: async () => {}, notify: async () => {}, stop: async () => {} };

describe('JobRunner', () => {
  let upstream: VeniceJobsServer;
  let store: Store;
  let key: ApiKeyRecord;
  let directory: string;
  let meter: Meter;
  let media: LocalDiskMediaStorage;
  let registry: ModelRegistry;
  let engine: VeniceJobEngine;

  before(async () => {
    upstream = await VeniceJobsServer.start({ pollsUntilDone: 1 });
    directory = mkdtempSync(join(tmpdir(), 'rialto-runner-'));
    store = await openSqliteStore(':memory:');
    key = (await new KeyService(store).create({ apiKeyType: 'INFERENCE', description: 'jobs' }))
      .record;
    await store.accounts.credit('default', 'USD', toNanos(10));
    meter = new Meter(store, undefined, { leaseSeconds: 60 });
    media = new LocalDiskMediaStorage(directory);
    const config = parseConfig({
      models: [
        {
          id: 'clip',
          type: 'video',
          engine: { kind: 'venice', endpoints: [{ url: upstream.url }] },
        },
      ],
    });
    const engineConfig = config.models[0]!.engine;
    assert.equal(engineConfig.kind, 'venice');
    engine = new VeniceJobEngine(engineConfig as VeniceEngineConfig);
    registry = new ModelRegistry([{ config: config.models[0]!, engine, engineModel: 'clip' }]);
  });

  after(async () => {
    meter.close();
    await engine.close();
    await store.close();
    await upstream.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A service and runner whose jobs have `deadlineSeconds`; `step` claims the job (as `worker`) and steps it once. */
  function harness(deadlineSeconds: number) {
    const jobs = parseConfig({
      jobs: { pollIntervalMs: 50, claimSeconds: 1, deadlineSeconds },
    }).jobs;
    const runner = new JobRunner({
      store,
      registry,
      media,
      meter,
      config: jobs,
      logger: pino({ level: 'silent' }),
    });
    const service = new JobService({ store, registry, media, queue: NO_QUEUE, config: jobs });
    const queue = async (prompt: string): Promise<JobRecord> =>
      (
        await service.queue(
          'video',
          registry.entries[0]!,
          { prompt, duration: '5s' },
          QUOTE,
          { ledger: 'account', key },
          meter.for(key),
        )
      ).job;
    const step = async (id: string, worker: string): Promise<JobRecord> => {
      const now = Date.now();
      const claimed = await store.jobs.claim(
        worker,
        new Date(now).toISOString(),
        new Date(now + 1000).toISOString(),
        id,
      );
      assert.ok(claimed, `${worker} claims ${id}`);
      await runner.step(claimed, worker, AbortSignal.timeout(10_000));
      await store.jobs.update(
        id,
        { claimedBy: null, claimUntil: null, nextRunAt: new Date(now).toISOString() },
        { claimedBy: worker },
      );
      return (await store.jobs.find(id))!;
    };
    return { service, queue, step };
  }

  /** Jobs of harness(1) are past their deadline a second after they were queued. */
  const pastTheDeadline = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1100));

  const balance = async (): Promise<{ balance: number; reserved: number }> => {
    const account = (await store.accounts.find('default'))!;
    return { balance: account.usdBalance, reserved: account.usdReserved };
  };

  it('a job past its deadline fails, is refunded, and retrieve answers 500 with credits_refunded', async () => {
    const { service, queue, step } = harness(1);
    const before = await balance();
    upstream.holding = true;
    try {
      const job = await queue('runner: too slow');
      assert.equal((await step(job.id, 'w1')).state, 'PROCESSING');
      await pastTheDeadline();
      const failed = await step(job.id, 'w1');
      assert.deepEqual(
        [failed.state, failed.errorCode, failed.refunded],
        ['FAILED', 'REQUEST_TIMEOUT', true],
      );
      assert.deepEqual(await balance(), before);
      await assert.rejects(
        service.retrieve('video', { model: 'clip', queue_id: job.id }, { ledger: 'account', key }),
        (error: unknown) => {
          assert.ok(error instanceof VeniceError);
          assert.deepEqual(
            [error.status, error.toBody()],
            [
              500,
              {
                error: 'The job did not finish before its deadline. Credits have been refunded.',
                credits_refunded: true,
              },
            ],
          );
          return true;
        },
      );
    } finally {
      upstream.holding = false;
    }
  });

  it('a job charged by a worker that died before marking it done is completed by the next, past its deadline too, and charged once', async () => {
    const { service, queue, step } = harness(1);
    const before = await balance();
    const job = await queue('runner: charged, then the worker died');
    const running = await step(job.id, 'w1');
    assert.equal(running.state, 'PROCESSING');
    // What the dead worker did: the media stored and recorded on the job, the quote charged; then nothing.
    const bytes = await media.put(
      job.id,
      (async function* () {
        yield upstream.video;
      })(),
    );
    assert.ok(
      await store.jobs.update(job.id, {
        resultKey: job.id,
        resultContentType: 'video/mp4',
        resultBytes: bytes,
      }),
    );
    assert.ok(
      await meter.settleDurable(
        { ...running, requestId: job.id, modelType: 'video' },
        running.quote,
      ),
    );
    await pastTheDeadline();
    const completed = await step(job.id, 'w2');
    assert.deepEqual([completed.state, completed.refunded], ['COMPLETED', false]);
    assert.deepEqual(await balance(), {
      balance: before.balance - toNanos(QUOTE.usd),
      reserved: before.reserved,
    });
    const outcome = await service.retrieve(
      'video',
      { model: 'clip', queue_id: job.id },
      { ledger: 'account', key },
    );
    assert.equal(outcome.kind, 'media');
    if (outcome.kind === 'media') outcome.stream.destroy();
    assert.equal(upstream.queuesFor('runner: charged, then the worker died').length, 1);
  });

  it('a job refunded meanwhile is failed when its engine finishes: its media are deleted, not handed out', async () => {
    const { queue, step } = harness(600);
    const before = await balance();
    const job = await queue('runner: refunded by a worker that had lost it');
    const running = await step(job.id, 'w1');
    assert.equal(running.state, 'PROCESSING');
    assert.ok(await meter.releaseDurable(running.reservationId!, 'refunded_failed'));
    let current = running;
    for (let turn = 0; turn < 20 && current.state === 'PROCESSING'; turn++)
      current = await step(job.id, 'w1');
    assert.deepEqual([current.state, current.refunded], ['FAILED', true]);
    assert.equal(await media.open(job.id), undefined, 'the stored media were deleted');
    assert.deepEqual(await balance(), before);
    const records = (await store.usage.list({ accountId: 'default', limit: 100 })).filter(
      (record) => record.requestId === job.id,
    );
    assert.deepEqual(
      records.map((record) => [record.status, record.amount]),
      [['refunded_failed', 0]],
    );
  });
});
