import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobsConfig } from '../../config.ts';
import type { JobRecord, Store } from '../../storage/store.ts';
import type { JobRunner, StepResult } from './job-runner.ts';

/** Hands jobs to this instance's workers. */
export interface JobQueue {
  /** Starts the workers. */
  start(): Promise<void>;
  /** A job was queued (or is due again): wake a worker. */
  notify(jobId: string): Promise<void>;
  /** Stops taking jobs and waits for the steps under way. */
  stop(): Promise<void>;
}

/** This process's worker names: host, pid and a random part, so claims of a dead process are told apart. */
export function workerPrefix(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Runs one claimed job step while renewing the claim, then hands it back: due again after the step's
 * delay, or released. Shared by every queue: the jobs table's claim is what makes a job one worker's.
 */
export async function runClaimed(
  store: Store,
  runner: JobRunner,
  config: JobsConfig,
  job: JobRecord,
  worker: string,
  signal: AbortSignal,
  logger: Logger,
): Promise<StepResult> {
  const renew = setInterval(
    () => {
      void store.jobs
        .update(
          job.id,
          { claimUntil: new Date(Date.now() + config.claimSeconds * 1000).toISOString() },
          { claimedBy: worker },
        )
        .catch(() => undefined);
    },
    (config.claimSeconds * 1000) / 3,
  );
  let result: StepResult = { next: 'again', afterMs: config.pollIntervalMs };
  try {
    result = await runner.step(job, worker, signal);
  } catch (error) {
    logger.error({ err: error, job: job.id }, 'job step failed; will retry');
  } finally {
    clearInterval(renew);
  }
  const nextRunAt = new Date(
    Date.now() + (result.next === 'again' ? result.afterMs : 0),
  ).toISOString();
  await store.jobs
    .update(job.id, { claimedBy: null, claimUntil: null, nextRunAt }, { claimedBy: worker })
    .catch(() => undefined);
  return result;
}

/**
 * The embedded default: the jobs table is the queue. Each worker claims the next due job (one atomic UPDATE,
 * so a job is one worker's at a time, across processes sharing the database), runs one step, and hands it
 * back due again after the poll interval. Idle workers look again every half second or when notified. A
 * worker that dies holds its job only until the claim runs out (claimSeconds); then any worker resumes it.
 */
export class StoreJobQueue implements JobQueue {
  private readonly prefix = workerPrefix();
  private readonly stopping = new AbortController();
  private readonly sleepers = new Set<() => void>();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly store: Store,
    private readonly runner: JobRunner,
    private readonly config: JobsConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // Every worker listens on this one signal while it sleeps, and its engine calls too (an undici request each):
    // more than Node's default 10 listeners, which is expected, not a leak.
    setMaxListeners(this.config.workers * 4 + 10, this.stopping.signal);
    this.loops = Array.from({ length: this.config.workers }, (_, index) =>
      this.work(`${this.prefix}:${index}`),
    );
  }

  async notify(): Promise<void> {
    for (const wake of this.sleepers) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
      this.stopping.signal.addEventListener('abort', done);
    });
  }

  private async work(worker: string): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      let job: JobRecord | undefined;
      try {
        const now = new Date();
        job = await this.store.jobs.claim(
          worker,
          now.toISOString(),
          new Date(now.getTime() + this.config.claimSeconds * 1000).toISOString(),
        );
      } catch (error) {
        if (signal.aborted) return;
        this.logger.error({ err: error }, 'could not claim a job');
      }
      if (job === undefined) {
        await this.sleep(
          Math.min(500, this.config.pollIntervalMs) + Math.floor(Math.random() * 100),
        );
        continue;
      }
      await runClaimed(this.store, this.runner, this.config, job, worker, signal, this.logger);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
  }
}
