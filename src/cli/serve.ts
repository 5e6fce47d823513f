import { pino } from 'pino';
import { createApp } from '../app.ts';
import type { Config } from '../config.ts';
import { createEngineSet, discoverModels, modelsDirectoryOf } from '../engines/engine-factory.ts';
import { ModelFolderWatcher } from '../engines/model-folder-watcher.ts';
import { KeyService } from '../services/key-service.ts';
import { createKeyChangeFeed } from '../services/key-change-feed.ts';
import { createMeter } from '../services/billing/create-meter.ts';
import { createRateLimiter } from '../rate-limit/create-rate-limiter.ts';
import { ModelHealthMonitor } from '../services/model-health.ts';
import { ModelRegistry, type ModelEntry } from '../services/model-registry.ts';
import { openStore } from '../storage/open-store.ts';
import { createJobs } from '../services/jobs/create-jobs.ts';
import { Metrics } from '../observability/metrics.ts';
import { redactingLogHooks } from '../observability/redacting-log-hooks.ts';
import { drain } from './drain.ts';
import { ensureAdminKey, firstRunBanner, reachableOrigin } from './first-run.ts';
import { logDestination } from './log-destination.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the store, loads the models, listens. Resolves once the server accepts connections. A failure on the way
 * (the store, a model named in the config, the port) closes what was started, then rejects: the caller exits.
 */
export async function serve(config: Config): Promise<RunningServer> {
  const destination = logDestination(process.env.RIALTO_LOG_FORMAT || config.logFormat);
  const logger = pino(
    {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], remove: true },
      ...redactingLogHooks,
    },
    ...(destination === undefined ? [] : [destination]),
  );
  // What to close, last opened first, should the start fail.
  const opened: (() => unknown)[] = [];
  const undo = async (): Promise<void> => {
    for (const close of opened.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
  };
  try {
    const store = await openStore(config).catch((error: unknown) => {
      throw new Error(`cannot open the store: ${(error as Error).message}`, { cause: error });
    });
    opened.push(() => store.close());
    const engines = createEngineSet(config, logger);
    opened.push(() => engines.close());
    const entries: ModelEntry[] = [];
    for (const model of discoverModels(config, logger)) {
      const entry = await engines.create(model);
      if (entry !== undefined) entries.push(entry);
    }
    const registry = new ModelRegistry(entries);
    const keys = new KeyService(store, { recordCacheMs: config.keyCacheMs });
    const firstKey = await ensureAdminKey(keys, process.env.RIALTO_ADMIN_KEY, logger);
    // Replicas sharing Redis tell each other of revocations and limit changes, so each drops its cached record.
    const keyChanges = createKeyChangeFeed(config, logger);
    if (keyChanges !== undefined) {
      opened.push(() => keyChanges.close());
      await keys.share(keyChanges);
    }
    const limiter = createRateLimiter(config, logger);
    opened.push(() => limiter?.close());
    const metrics = config.metrics.enabled ? new Metrics() : undefined;
    const meter = createMeter(config, store, limiter, metrics, logger);
    opened.push(() => meter.close());
    keys.readUsageAfter(() => meter.sync());
    keys.onChange((id) => meter.keyChanged(id));
    // Reservations left open by a process that died (SIGKILL, power loss) are released once their lease ends.
    const released = await meter.sweep();
    if (released > 0)
      logger.warn({ released }, 'released reservations whose serving process ended');
    const sweeper = setInterval(
      () => {
        void meter
          .sweep()
          .catch((error: unknown) => logger.error({ err: error }, 'reservation sweep failed'));
      },
      Math.min(60_000, config.billing.leaseSeconds * 500),
    );
    sweeper.unref();
    opened.push(() => clearInterval(sweeper));
    const jobs = await createJobs({ config, store, registry, meter, logger });
    opened.push(() => jobs.close());
    // Which models can serve, before the first request: `default` goes to one that can (a down upstream yields).
    const health = new ModelHealthMonitor(registry, logger);
    opened.push(() => health.close());
    await health.start();
    const watcher = config.discoverModels
      ? new ModelFolderWatcher(config, registry, engines, logger, {
          onChange: () => health.reportDefault(),
        })
      : undefined;
    opened.push(() => watcher?.close());
    await watcher?.start();
    const app = await createApp({
      config,
      logger,
      store,
      keys,
      registry,
      meter,
      jobs: jobs.service,
      ...(limiter === undefined ? {} : { limiter }),
      ...(metrics === undefined ? {} : { metrics }),
    });
    opened.push(() => app.close());
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    await jobs.start();
    const bringOne =
      `Bring one: 'rialto pull hf:<owner>/<repo>/<file>.gguf' (saved in ${modelsDirectoryOf(config)}; served at once), ` +
      'a GGUF path under models: in rialto.yaml, or an upstream URL (engine kind openai-compatible). See the README.';
    if (!registry.entries.some((entry) => entry.config.type === 'text'))
      logger.warn(`No text model is configured. ${bringOne}`);
    if (firstKey === undefined && (await keys.list()).length === 0)
      logger.warn("No API key exists yet: create one with 'rialto keys create'.");
    const origin = reachableOrigin(address);
    logger.info(
      { models: registry.entries.map((entry) => entry.config.id), console: `${origin}/console/` },
      `Rialto listening on ${address}/api/v1 (also /v1); console at ${origin}/console/`,
    );
    // The key goes to stdout once, not through the logger: log files and collectors never hold it.
    if (firstKey !== undefined) process.stdout.write(firstRunBanner(firstKey, address));
    opened.length = 0;
    return {
      url: address,
      close: async () => {
        clearInterval(sweeper);
        await watcher?.close();
        await health.close();
        await drain(app, config.server.shutdownGraceSeconds, logger);
        await jobs.close();
        // Responses end after their settlement; a client that left mid-stream can leave one still being written.
        if (!(await meter.settled(10_000)))
          logger.error('some requests were not settled before the store closed');
        await meter.closeLeases();
        meter.close();
        await limiter?.close();
        await keyChanges?.close();
        await engines.close();
        await store.close();
        logger.info('Rialto stopped');
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
