import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Store } from '../../storage/store.ts';
import type { Meter } from '../billing/meter.ts';
import type { ModelRegistry } from '../model-registry.ts';
import { StoreJobQueue, type JobQueue } from './job-queue.ts';
import { JobRunner } from './job-runner.ts';
import { JobService } from './job-service.ts';
import { PgBossJobQueue } from './pg-boss-job-queue.ts';
import { LocalDiskMediaStorage } from './media-storage.ts';

export interface Jobs {
  service: JobService;
  queue: JobQueue;
  /** Starts this instance's workers (after the server listens). */
  start(): Promise<void>;
  /** Stops the workers; jobs under way stay claimed until their claim runs out, then any instance resumes them. */
  close(): Promise<void>;
}

/** The async job subsystem: media storage, the runner, the queue (config.jobs.queue) and the service. */
export async function createJobs(dependencies: {
  config: Config;
  store: Store;
  registry: ModelRegistry;
  meter: Meter;
  logger: Logger;
}): Promise<Jobs> {
  const { config, store, registry, meter, logger } = dependencies;
  const media = new LocalDiskMediaStorage(
    config.jobs.mediaDirectory ?? join(config.dataDirectory, 'media'),
  );
  const runner = new JobRunner({ store, registry, media, meter, config: config.jobs, logger });
  // pg-boss where the store is PostgreSQL (database.url), unless the store queue is asked for.
  const { url } = config.database;
  if (config.jobs.queue === 'pg-boss' && url === undefined)
    throw new Error("jobs.queue 'pg-boss' needs PostgreSQL: set DATABASE_URL (database.url)");
  const queue: JobQueue =
    config.jobs.queue !== 'store' && url !== undefined
      ? new PgBossJobQueue(store, runner, config.jobs, url, logger)
      : new StoreJobQueue(store, runner, config.jobs, logger);
  const service = new JobService({ store, registry, media, queue, config: config.jobs });
  // Workers look for jobs only where some model runs them.
  const served = registry.entries.some((entry) => entry.engine.modality === 'job');
  return {
    service,
    queue,
    start: async () => {
      if (served) await queue.start();
    },
    close: () => queue.stop(),
  };
}
