import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { JobsConfig } from '../../config.ts';
import type { JobRecord, Store } from '../../storage/store.ts';
import { runClaimed, workerPrefix, type JobQueue } from './job-queue.ts';
import type { JobRunner } from './job-runner.ts';

/** pg-boss's queue of "look at job X" messages. */
const QUEUE = 'rialto-jobs';
/** How often each pg-boss worker looks for a due message when nothing woke it (pg-boss's minimum is 0.5 s). */
const POLLING_SECONDS = 0.5;
/** Runnable jobs looked at per sweep. */
const SWEEP_LIMIT = 1000;

interface Message {
  jobId: string;
}

/**
 * pg-boss's schema for a Rialto schema: `<schema>_pgboss` (pg-boss's default `pgboss` for the server's
 * search_path), hashed when that would pass pg-boss's 50-character limit. Test cleanup drops it too.
 */
export function pgBossSchemaOf(schema: string | undefined): string {
  if (schema === undefined) return 'pgboss';
  const name = `${schema}_pgboss`;
  return name.length <= 50
    ? name
    : `pgboss_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
}

/** DATABASE_URL without Rialto's `?schema=` parameter, and pg-boss's schema for it. */
function pgBossTarget(databaseUrl: string): { connectionString: string; schema: string } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema: pgBossSchemaOf(schema) };
}

/**
 * PostgreSQL's dispatch through pg-boss: a message "look at job X" (singletonKey = X, on a `short`
 * queue, so a second pending message for X collapses into the first) is fetched by one of this
 * process's workers (FOR UPDATE SKIP LOCKED across every process). The jobs table's claim still
 * decides who drives the job: the worker claims it, runs one step (runClaimed), and sends the next
 * message due after the step's delay. A message for a job someone else holds, or not yet due, is sent
 * again for later, so a runnable job never goes without a message for long.
 * Recovery: on start every runnable job gets a message (a restart after a crash), and a sweep every
 * claimSeconds re-sends for jobs whose holder died (claim ran out) or whose message was lost (a crash
 * between a step and its send); pg-boss's own expiry retries the active messages of a dead process.
 */
export class PgBossJobQueue implements JobQueue {
  private readonly prefix = workerPrefix();
  private readonly stopping = new AbortController();
  private readonly boss: PgBoss;
  private workerIds: string[] = [];
  private nextWake = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly runner: JobRunner,
    private readonly config: JobsConfig,
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.boss = new PgBoss({
      ...pgBossTarget(databaseUrl),
      application_name: 'rialto-jobs',
      max: 4,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: 60,
    });
    this.boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
  }

  async start(): Promise<void> {
    this.started = true;
    await this.boss.start();
    // A step renews its claim however long it runs; the message's expiry only bounds how long pg-boss
    // waits before retrying the message of a process that died (the claim still guards the job).
    await this.createQueue();
    for (let index = 0; index < this.config.workers; index++) {
      const worker = `${this.prefix}:${index}`;
      this.workerIds.push(
        await this.boss.work<Message>(
          QUEUE,
          { batchSize: 1, pollingIntervalSeconds: POLLING_SECONDS },
          async ([message]) => {
            if (message !== undefined) await this.handle(message.data.jobId, worker);
          },
        ),
      );
    }
    await this.sweep(true);
    this.sweeper = setInterval(
      () =>
        void this.sweep(false).catch((error: unknown) =>
          this.logger.error({ err: error }, 'job sweep failed'),
        ),
      this.config.claimSeconds * 1000,
    );
    this.sweeper.unref();
  }

  /**
   * Creates the queue once for every process. Processes starting together can deadlock in pg-boss's
   * create_queue (each inserts the queue row and attaches its partition to the job table): PostgreSQL
   * aborts one of them, which tries again and finds the queue made.
   */
  private async createQueue(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await this.boss.getQueue(QUEUE)) !== null) return;
        await this.boss.createQueue(QUEUE, {
          name: QUEUE,
          policy: 'short',
          retryLimit: 20,
          retryDelay: 1,
          retryBackoff: true,
          expireInSeconds: 15 * 60,
        });
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        // 40P01 deadlock_detected, 23505 unique_violation, 42P07 duplicate_table: another process made it first.
        if (attempt >= 5 || (code !== '40P01' && code !== '23505' && code !== '42P07')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
      }
    }
  }

  /** Sends the job's message (collapsing into a pending one) and wakes one of this process's workers. */
  async notify(jobId: string): Promise<void> {
    try {
      await this.send(jobId, new Date());
    } catch (error) {
      // The job is stored: the next sweep sends its message.
      this.logger.error({ err: error, job: jobId }, 'could not dispatch a job; the sweep will');
      return;
    }
    const id = this.workerIds[this.nextWake++ % Math.max(1, this.workerIds.length)];
    if (id !== undefined) this.boss.notifyWorker(id);
  }

  private async send(jobId: string, startAfter: Date): Promise<void> {
    await this.boss.send(QUEUE, { jobId } satisfies Message, { singletonKey: jobId, startAfter });
  }

  /** One message: claim the job and step it, or send the message again for when it can be claimed. */
  private async handle(jobId: string, worker: string): Promise<void> {
    // Fetched while this process stops: leave it to the others (or to this one, restarted).
    if (this.stopping.signal.aborted) return this.send(jobId, new Date());
    const now = Date.now();
    const job = await this.store.jobs.claim(
      worker,
      new Date(now).toISOString(),
      new Date(now + this.config.claimSeconds * 1000).toISOString(),
      jobId,
    );
    if (job === undefined) {
      const current = await this.store.jobs.find(jobId);
      if (current === undefined || (current.state !== 'QUEUED' && current.state !== 'PROCESSING'))
        return;
      await this.send(jobId, new Date(this.dueAt(current, now)));
      return;
    }
    const result = await runClaimed(
      this.store,
      this.runner,
      this.config,
      job,
      worker,
      this.stopping.signal,
      this.logger,
    );
    if (result.next === 'again') await this.send(jobId, new Date(Date.now() + result.afterMs));
  }

  /** When a job another worker holds, or that is not due, can next be claimed (checked again then). */
  private dueAt(job: JobRecord, now: number): number {
    const held =
      job.claimUntil === null
        ? 0
        : Math.min(Date.parse(job.claimUntil), now + this.config.pollIntervalMs);
    return Math.max(Date.parse(job.nextRunAt), held, now + 250);
  }

  /**
   * Sends messages for runnable jobs: all of them at start (those of a crashed process included), then
   * those held by a worker whose claim ran out, or free and overdue by a claim period (message lost).
   */
  private async sweep(all: boolean): Promise<void> {
    const now = Date.now();
    const overdue = now - this.config.claimSeconds * 1000;
    for (const job of await this.store.jobs.runnable(SWEEP_LIMIT)) {
      if (this.stopping.signal.aborted) return;
      const stale =
        job.claimUntil === null
          ? Date.parse(job.nextRunAt) < overdue
          : Date.parse(job.claimUntil) < now;
      if (all || stale)
        await this.send(
          job.id,
          new Date(job.claimUntil === null ? Math.max(now, Date.parse(job.nextRunAt)) : now),
        );
    }
  }

  /** Stops fetching, hands the steps under way back (due at once, for any process), and closes pg-boss. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.stopping.abort();
    if (!this.started) return;
    await this.boss.stop({
      graceful: true,
      wait: true,
      timeout: Math.max(5000, this.config.claimSeconds * 1000),
    });
  }
}
