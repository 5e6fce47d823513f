import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import OpenAI from 'openai';
import { createApp } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { createModelEntries } from '../../src/engines/engine-factory.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { ModelRegistry } from '../../src/services/model-registry.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';

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
  close(): Promise<void>;
}

/**
 * Starts the real server on 127.0.0.1:0 with SQLite in a temp folder, the given raw config (validated as
 * the YAML would be) and two keys; returns an `openai` client pointed at it.
 */
export async function startRialto(rawConfig: Record<string, unknown>): Promise<TestRialto> {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-test-'));
  const config = parseConfig({ logLevel: 'silent', dataDirectory, discoverModels: false, ...rawConfig, server: { port: 0, ...(rawConfig.server as object | undefined) } });
  const logger = pino({ level: config.logLevel });
  const store = await openSqliteStore(join(dataDirectory, 'rialto.db'));
  const { entries, close: closeEngines } = await createModelEntries(config, config.models, logger);
  const registry = new ModelRegistry(entries);
  const keys = new KeyService(store);
  const app = await createApp({ config, logger, keys, registry });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const inferenceKey = (await keys.create({ apiKeyType: 'INFERENCE', description: 'test inference' })).apiKey;
  const adminKey = (await keys.create({ apiKeyType: 'ADMIN', description: 'test admin' })).apiKey;
  const baseURL = `${address}/api/v1`;
  return {
    origin: address, baseURL, inferenceKey, adminKey, registry, config,
    client: new OpenAI({ baseURL, apiKey: inferenceKey, maxRetries: 0 }),
    close: async () => {
      await app.close();
      await closeEngines();
      await store.close();
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}
