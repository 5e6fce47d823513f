// PgBossJobQueue on a real PostgreSQL: two queues (as two processes would run them) sharing one schema drive
// jobs through JobRunner against a small job API on 127.0.0.1; each job is submitted once and charged once,
// and jobs a crashed process left claimed are taken over without being submitted again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, type JobsConfig } from '../../config.ts';
import type { EngineCall, JobEngine, JobStatus, JobSubmission } from '../../engines/engine.ts';
import { openPostgresStore } from '../../storage/postgres-store.ts';
import type { ApiKeyRecord, Store } from '../../storage/store.ts';
import { dropSchema, postgresUnavailable, TEST_DATABASE_URL, uniqueSchemaName } from '../../../test/support/postgres-test-database.ts';
import { Meter } from '../billing/meter.ts';
import { toNanos } from '../billing/money.ts';
import { KeyService } from '../key-service.ts';
import { ModelRegistry } from '../model-registry.ts';
import type { JobQueue } from './job-queue.ts';
import { JobRunner } from './job-runner.ts';
import { JobService } from './job-service.ts';
import { LocalDiskMediaStorage } from './media-storage.ts';
import { PgBossJobQueue, pgBossSchemaOf } from './pg-boss-job-queue.ts';

/** A job API: POST /jobs starts one (ready runMs later), GET /jobs/ID says how far, GET /jobs/ID/content gives it. */
class TinyJobApi {
  readonly submits = new Map<string, number>();
  readonly byTag = new Map<string, number>();
  private readonly jobs = new Map<string, number>();
  private readonly server: Server;
  url = '';

  constructor(private readonly runMs: number) {
    this.server = createServer((request, response) => void this.answer(request.method ?? '', request.url ?? '', request).then(([status, body]) => {
      response.writeHead(status, { 'content-type': typeof body === 'string' ? 'application/json' : 'video/mp4' }).end(body);
    }));
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  private async answer(method: string, path: string, request: AsyncIterable<Buffer>): Promise<[number, string | Buffer]> {
    if (method === 'POST' && path === '/jobs') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk);
      const { prompt, tag } = JSON.parse(Buffer.concat(chunks).toString()) as { prompt: string; tag: string };
      this.submits.set(prompt, (this.submits.get(prompt) ?? 0) + 1);
      this.byTag.set(tag, (this.byTag.get(tag) ?? 0) + 1);
      const id = `up-${this.jobs.size}`;
      this.jobs.set(id, Date.now() + this.runMs);
      return [200, JSON.stringify({ id })];
    }
    const [, , id, content] = path.split('/');
    const readyAt = this.jobs.get(id ?? '');
    if (readyAt === undefined) return [404, '{}'];
    if (content === 'content') return [200, Buffer.from(`video of ${id}`)];
    return [200, JSON.stringify({ done: Date.now() >= readyAt })];
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close');
  }
}

/** The JobEngine of TinyJobApi; `tag` tells the API which process submitted. */
class TinyJobEngine implements JobEngine {
  readonly modality = 'job';
  readonly kind = 'tiny';

  constructor(private readonly url: string, private readonly tag: string) {}

  async submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }> {
    const response = await fetch(`${this.url}/jobs`, { method: 'POST', body: JSON.stringify({ prompt: job.request.prompt, tag: this.tag }), signal: call.signal });
    return { engineJobId: ((await response.json()) as { id: string }).id };
  }

  async poll(_job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus> {
    const { done } = (await (await fetch(`${this.url}/jobs/${engineJobId}`, { signal: call.signal })).json()) as { done: boolean };
    if (!done) return { state: 'running', progress: 0.5 };
    const bytes = new Uint8Array(await (await fetch(`${this.url}/jobs/${engineJobId}/content`, { signal: call.signal })).arrayBuffer());
    return { state: 'done', media: { contentType: 'video/mp4', body: (async function* () { yield bytes; })() } };
  }

  async cleanup(): Promise<void> {}
  async checkHealth(): Promise<{ healthy: boolean; detail: string }> { return { healthy: true, detail: 'ok' }; }
  async close(): Promise<void> {}
}

const skip = await postgresUnavailable();
const logger = pino({ level: 'silent' });
const config = parseConfig({
  jobs: { workers: 4, pollIntervalMs: 100, claimSeconds: 2, deadlineSeconds: 600 },
  models: [{ id: 'clip', type: 'video', engine: { kind: 'venice', endpoints: [{ url: 'http://127.0.0.1:9' }] }, pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, per_second: { usd: 0.1, diem: 0.1 } } }],
});
const jobsConfig: JobsConfig = config.jobs;
const modelConfig = config.models[0]!;

const schema = uniqueSchemaName();
const url = `${TEST_DATABASE_URL}?schema=${schema}`;
const media = mkdtempSync(join(tmpdir(), 'rialto-pgboss-'));
/** A queue that dispatches nothing: jobs it is told of wait in the store (as after a crash). */
const NO_QUEUE: JobQueue = { start: async () => {}, notify: async () => {}, stop: async () => {} };

/** What one process holds: its registry (an engine tagged with its name), meter, runner, queue and service. */
function processOn(store: Store, api: TinyJobApi, tag: string, dispatch: boolean) {
  const registry = new ModelRegistry([{ config: modelConfig, engine: new TinyJobEngine(api.url, tag), engineModel: 'clip-up' }]);
  const meter = new Meter(store, undefined, { leaseSeconds: 60 });
  const storage = new LocalDiskMediaStorage(media);
  const runner = new JobRunner({ store, registry, media: storage, meter, config: jobsConfig, logger });
  const queue = dispatch ? new PgBossJobQueue(store, runner, jobsConfig, url, logger) : NO_QUEUE;
  const service = new JobService({ store, registry, media: storage, queue, config: jobsConfig });
  const queueJob = async (prompt: string, key: ApiKeyRecord) => (await service.queue('video', registry.entries[0]!, { prompt, duration: '5s' }, { usd: 0.5, diem: 0.5 }, key, meter.for(key))).job;
  return { registry, meter, queue, queueJob };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let turn = 0; turn < 600; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`gave up waiting until ${what}`);
}

describe('PgBossJobQueue', { skip }, () => {
  let api: TinyJobApi;
  let stores: Store[] = [];
  let key: ApiKeyRecord;

  before(async () => {
    api = new TinyJobApi(300);
    await api.listen();
    stores = [await openPostgresStore(TEST_DATABASE_URL, { schema }), await openPostgresStore(TEST_DATABASE_URL, { schema })];
    key = (await new KeyService(stores[0]!).create({ apiKeyType: 'INFERENCE', description: 'jobs' })).record;
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
    const [one, two] = [processOn(stores[0]!, api, 'p0', true), processOn(stores[1]!, api, 'p1', true)];
    await Promise.all([one.queue.start(), two.queue.start()]);
    try {
      const ids = await Promise.all(Array.from({ length: 30 }, async (_, index) => (await (index % 2 === 0 ? one : two).queueJob(`replicas ${index}`, key)).id));
      await until(async () => (await stores[0]!.jobs.countByState()).COMPLETED === 30, 'all 30 jobs completed');
      for (let index = 0; index < 30; index++) assert.equal(api.submits.get(`replicas ${index}`), 1, `job ${index} was submitted once`);
      const usage = await stores[0]!.usage.list({ accountId: 'default', limit: 1000 });
      const charged = usage.filter((record) => ids.includes(record.requestId));
      assert.equal(charged.length, 30);
      assert.ok(charged.every((record) => record.status === 'completed' && record.amount === toNanos(0.5)));
      assert.ok((api.byTag.get('p0') ?? 0) > 0 && (api.byTag.get('p1') ?? 0) > 0, `both processes submitted jobs: ${JSON.stringify([...api.byTag])}`);
    } finally {
      await Promise.all([one.queue.stop(), two.queue.stop()]);
      one.meter.close();
      two.meter.close();
    }
  });

  it('takes over the jobs a crashed process held (claims run out) and those it never dispatched, submitting none twice', async () => {
    const crashed = processOn(stores[0]!, api, 'crashed', false);
    const jobs = await Promise.all(Array.from({ length: 6 }, (_, index) => crashed.queueJob(`crash ${index}`, key)));
    // The crashed process had submitted the first four and still held them for a second; the last two it never touched.
    const engine = crashed.registry.entries[0]!.engine as JobEngine;
    for (const job of jobs.slice(0, 4)) {
      const now = Date.now();
      assert.ok(await stores[0]!.jobs.claim('dead:1', new Date(now).toISOString(), new Date(now + 1000).toISOString(), job.id));
      const { engineJobId } = await engine.submit({ kind: 'video', model: 'clip-up', request: job.request }, { signal: AbortSignal.timeout(5000) });
      assert.ok(await stores[0]!.jobs.update(job.id, { state: 'PROCESSING', engineJobId }, { claimedBy: 'dead:1' }));
    }
    crashed.meter.close();
    const restarted = processOn(stores[1]!, api, 'restarted', true);
    const { queue } = restarted;
    await queue.start();
    try {
      await until(async () => (await Promise.all(jobs.map((job) => stores[1]!.jobs.find(job.id)))).every((job) => job?.state === 'COMPLETED'), 'the 6 jobs completed');
      for (let index = 0; index < 6; index++) assert.equal(api.submits.get(`crash ${index}`), 1, `job ${index} was submitted once`);
      const usage = await stores[1]!.usage.list({ accountId: 'default', limit: 1000 });
      assert.equal(usage.filter((record) => jobs.some((job) => job.id === record.requestId)).length, 6);
    } finally {
      await queue.stop();
      restarted.meter.close();
    }
  });
});
