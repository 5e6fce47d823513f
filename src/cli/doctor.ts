import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { createEngineSet, discoverModels } from '../engines/engine-factory.ts';
import { redactUrlCredentials } from '../observability/url-redaction.ts';
import { openStore } from '../storage/open-store.ts';
import { findExecutable } from '../runtime/find-executable.ts';

interface Finding {
  ok: boolean;
  what: string;
  detail: string;
}

/** The programs a model's engine runs (espeak-ng, pocketsphinx, ffmpeg), by engine kind. */
function binariesOf(engine: Config['models'][number]['engine']): string[] {
  if (engine.kind === 'espeak-ng') return [engine.command, engine.ffmpeg];
  if (engine.kind === 'pocketsphinx') return [engine.command ?? 'pocketsphinx', engine.ffmpeg];
  return [];
}

/**
 * `rialto doctor`: the health of the config, the store, Redis, every model (loaded, then asked) and the programs
 * their engines run, one line each, on stdout. Exit 1 when anything a non-optional part needs is at fault.
 */
export async function doctor(config: Config, configPath: string | undefined): Promise<number> {
  const findings: Finding[] = [
    { ok: true, what: 'config', detail: configPath ?? 'defaults (no rialto.yaml)' },
  ];
  const report = (finding: Finding): void => {
    findings.push(finding);
    process.stdout.write(
      `${finding.ok ? 'ok   ' : 'FAULT'}  ${finding.what.padEnd(28)} ${finding.detail}\n`,
    );
  };
  process.stdout.write(`ok     ${'config'.padEnd(28)} ${findings[0]!.detail}\n`);
  try {
    const store = await openStore(config);
    await store.close();
    report({
      ok: true,
      what: 'store',
      detail:
        config.database.url === undefined
          ? join(config.dataDirectory, 'rialto.db')
          : redactUrlCredentials(config.database.url),
    });
  } catch (error) {
    report({ ok: false, what: 'store', detail: (error as Error).message });
  }
  if (config.rateLimits.store === 'redis') {
    const url = config.rateLimits.redisUrl ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 3000,
      enableOfflineQueue: false,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      report({ ok: true, what: 'redis', detail: redactUrlCredentials(url) });
    } catch (error) {
      report({
        ok: false,
        what: 'redis',
        detail: `${redactUrlCredentials(url)}: ${(error as Error).message}`,
      });
    } finally {
      redis.disconnect();
    }
  }
  const logger = pino({ level: 'silent' });
  const engines = createEngineSet(config, logger);
  try {
    for (const model of discoverModels(config, {
      warn: (_fields: unknown, message?: string) =>
        report({ ok: false, what: 'models folder', detail: message ?? '' }),
    } as never)) {
      const optional = model.optional ? ' (optional)' : '';
      for (const binary of binariesOf(model.engine)) {
        const found = findExecutable(binary) !== undefined;
        report({
          ok: found || model.optional,
          what: `model ${model.id}: ${binary}`,
          detail: found ? 'found' : `not found on PATH${optional}`,
        });
      }
      try {
        const entry = await engines.create({ ...model, optional: false });
        const { healthy, detail } = await entry!.engine.checkHealth(AbortSignal.timeout(5000));
        report({
          ok: healthy,
          what: `model ${model.id}`,
          detail: `${model.type}, ${model.engine.kind}: ${redactUrlCredentials(detail)}`,
        });
      } catch (error) {
        report({
          ok: model.optional,
          what: `model ${model.id}`,
          detail: `cannot start${optional}: ${redactUrlCredentials((error as Error).message)}`,
        });
      }
    }
  } finally {
    await engines.close().catch(() => undefined);
  }
  const faults = findings.filter((finding) => !finding.ok).length;
  process.stdout.write(
    faults === 0 ? 'Rialto is ready to serve.\n' : `${faults} fault(s): see FAULT above.\n`,
  );
  return faults === 0 ? 0 : 1;
}
