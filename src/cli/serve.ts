import { pino } from 'pino';
import { createApp } from '../app.ts';
import type { Config } from '../config.ts';
import { createModelEntries, discoverModels, modelsDirectoryOf } from '../engines/engine-factory.ts';
import { KeyService } from '../services/key-service.ts';
import { createKeyChangeFeed } from '../services/key-change-feed.ts';
import { Meter } from '../services/billing/meter.ts';
import { createRateLimiter } from '../rate-limit/create-rate-limiter.ts';
import { ModelRegistry } from '../services/model-registry.ts';
import { openStore } from '../storage/open-store.ts';
import { createJobs } from '../services/jobs/create-jobs.ts';
import { Metrics } from '../observability/metrics.ts';
import { drain } from './drain.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Opens the store, loads the models, listens. Resolves once the server accepts connections. */
export async function serve(config: Config): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, redact: { paths: ['req.headers.authorization', 'headers.authorization'], remove: true } });
  const store = await openStore(config);
  const models = discoverModels(config);
  const { entries, close: closeEngines } = await createModelEntries(config, models, logger);
  const registry = new ModelRegistry(entries);
  const keys = new KeyService(store, { recordCacheMs: config.keyCacheMs });
  // Replicas sharing Redis tell each other of revocations and limit changes, so each drops its cached record.
  const keyChanges = createKeyChangeFeed(config, logger);
  if (keyChanges !== undefined) await keys.share(keyChanges);
  const limiter = createRateLimiter(config, logger);
  const metrics = config.metrics.enabled ? new Metrics() : undefined;
  const meter = new Meter(store, limiter, { leaseSeconds: config.billing.leaseSeconds, ...(metrics === undefined ? {} : { metrics }) });
  // Reservations left open by a process that died (SIGKILL, power loss) are released once their lease ends.
  const released = await meter.sweep();
  if (released > 0) logger.warn({ released }, 'released reservations whose serving process ended');
  const sweeper = setInterval(() => { void meter.sweep().catch((error: unknown) => logger.error({ err: error }, 'reservation sweep failed')); }, Math.min(60_000, config.billing.leaseSeconds * 500));
  sweeper.unref();
  const jobs = await createJobs({ config, store, registry, meter, logger });
  const app = await createApp({ config, logger, keys, registry, meter, jobs: jobs.service, ...(limiter === undefined ? {} : { limiter }), ...(metrics === undefined ? {} : { metrics }) });
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  await jobs.start();
  const bringOne = `Bring one: 'rialto pull hf:<owner>/<repo>/<file>.gguf' (saved in ${modelsDirectoryOf(config)}), `
    + 'a GGUF path under models: in rialto.yaml, or an upstream URL (engine kind openai-compatible). See the README.';
  if (entries.filter((entry) => entry.config.type === 'text').length === 0) logger.warn(`No text model is configured. ${bringOne}`);
  // Say at once when an upstream is down, rather than at the first request (does not delay the start).
  void Promise.all(entries.map(async (entry) => {
    const { healthy, detail } = await entry.engine.checkHealth(AbortSignal.timeout(3000));
    if (!healthy) logger.warn(`Model ${entry.config.id} cannot serve yet: ${detail}. Start that server, or ${bringOne.charAt(0).toLowerCase()}${bringOne.slice(1)}`);
  }));
  if ((await keys.list()).length === 0) logger.warn("No API key exists yet: create one with 'rialto keys create'.");
  logger.info({ models: entries.map((entry) => entry.config.id) }, `Rialto listening on ${address}/api/v1`);
  return {
    url: address,
    close: async () => {
      clearInterval(sweeper);
      await drain(app, config.server.shutdownGraceSeconds, logger);
      await jobs.close();
      // Responses end after their settlement; a client that left mid-stream can leave one still being written.
      if (!(await meter.settled(10_000))) logger.error('some requests were not settled before the store closed');
      meter.close();
      await limiter?.close();
      await keyChanges?.close();
      await closeEngines();
      await store.close();
      logger.info('Rialto stopped');
    },
  };
}
