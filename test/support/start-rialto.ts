import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type DestinationStream } from 'pino';
import OpenAI from 'openai';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { createModelEntries } from '../../src/engines/engine-factory.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { createMeter } from '../../src/services/billing/create-meter.ts';
import { createRateLimiter } from '../../src/rate-limit/create-rate-limiter.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import { ModelRegistry } from '../../src/services/model-registry.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import type { Store } from '../../src/storage/store.ts';
import { dropSchema, TEST_DATABASE_URL, uniqueSchemaName } from './postgres-test-database.ts';

export interface TestRialto {
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  /** origin + /api/v1, what an OpenAI client takes as baseURL */
  baseURL: string;
  inferenceKey: string;
  adminKey: string;
  client: OpenAI;
  registry: ModelRegistry;
  config: Config;
  /** The server's store and key service (to fund accounts, create limited keys, read the ledger). */
  store: Store;
  keys: KeyService;
  /** The Fastify app (its route table: app.printRoutes). */
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Where the store lives: SQLite in the temp folder, or a throwaway schema of the test PostgreSQL
   * (RIALTO_TEST_DATABASE_URL), dropped on close. Default: $RIALTO_TEST_STORE, else 'sqlite'.
   */
  database?: 'sqlite' | 'postgres';
  /** USD credited to the keys' account ('default') at start; 1000 unless given (0 = an empty account). */
  balanceUsd?: number;
  /** Where the server's log lines go (default stdout; silent unless the config sets logLevel). */
  logStream?: DestinationStream;
}

function postgresUrl(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/**
 * Starts the real server on 127.0.0.1:0 with a data folder in tmp, the given raw config (validated as
 * the YAML would be) and two keys; returns an `openai` client pointed at it.
 */
export async function startRialto(
  rawConfig: Record<string, unknown>,
  options: StartOptions = {},
): Promise<TestRialto> {
  const database =
    options.database ?? (process.env.RIALTO_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite');
  const schema = database === 'postgres' ? uniqueSchemaName() : undefined;
  const dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-test-'));
  const config = parseConfig({
    // Rate limits are off unless a test configures them: most suites send hundreds of requests on one key.
    logLevel: 'silent',
    dataDirectory,
    discoverModels: false,
    rateLimits: { enabled: false },
    ...(schema === undefined ? {} : { database: { url: postgresUrl(schema) } }),
    ...rawConfig,
    server: { port: 0, ...(rawConfig.server as object | undefined) },
  });
  const logger =
    options.logStream === undefined
      ? pino({ level: config.logLevel })
      : pino({ level: config.logLevel }, options.logStream);
  const store = await openStore(config);
  const { entries, close: closeEngines } = await createModelEntries(config, config.models, logger);
  const registry = new ModelRegistry(entries);
  const keys = new KeyService(store, { recordCacheMs: config.keyCacheMs });
  const limiter = createRateLimiter(config, logger);
  const metrics = new Metrics();
  const meter = createMeter(config, store, limiter, metrics, logger);
  keys.readUsageAfter(() => meter.sync());
  keys.onChange((id) => meter.keyChanged(id));
  const jobs = await createJobs({ config, store, registry, meter, logger });
  const app = await createApp({
    config,
    logger,
    store,
    keys,
    registry,
    meter,
    metrics,
    jobs: jobs.service,
    ...(limiter === undefined ? {} : { limiter }),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  await jobs.start();
  const inferenceKey = (
    await keys.create({ apiKeyType: 'INFERENCE', description: 'test inference' })
  ).apiKey;
  const adminKey = (await keys.create({ apiKeyType: 'ADMIN', description: 'test admin' })).apiKey;
  const balanceUsd = options.balanceUsd ?? 1000;
  if (balanceUsd > 0) await store.accounts.credit('default', 'USD', toNanos(balanceUsd));
  const baseURL = `${address}/api/v1`;
  return {
    origin: address,
    baseURL,
    inferenceKey,
    adminKey,
    registry,
    config,
    store,
    keys,
    app,
    client: new OpenAI({ baseURL, apiKey: inferenceKey, maxRetries: 0 }),
    close: async () => {
      await jobs.close();
      await app.close();
      await limiter?.close();
      await meter.closeLeases();
      meter.close();
      await closeEngines();
      await store.close();
      if (schema !== undefined) await dropSchema(schema);
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}
