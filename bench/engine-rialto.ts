/**
 * The Rialto sides of engine-overhead.ts: `rialto serve` on the bench's GGUF with keys, rate limits (limits no run
 * reaches) and a priced model on a funded account, so auth, the limiter, the reservation and the settlement all run;
 * the model on either embedded kind (`llama-cpp`, node-llama-cpp; `llama-server`, llama.cpp's server as Rialto's child).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_PRICING,
  createInferenceKey,
  freePort,
  rialtoCli,
  startRialtoServer,
  UNREACHABLE_LIMITS,
  writeRialtoConfig,
} from './harness.ts';

/** A started Rialto: its HTTP process, where it listens and the key to call it with. */
export interface RialtoSide {
  pid: number | undefined;
  origin: string;
  apiKey: string;
}

/** Starts Rialto in a folder of its own under `directory`, serving `model` on `engine` (its contextLength: `contextLength`). */
export async function startRialtoSide(
  directory: string,
  name: string,
  model: string,
  engine: Record<string, unknown>,
  contextLength: number,
): Promise<RialtoSide> {
  const own = join(directory, name.replace(/[^a-z0-9-]/gi, '-'));
  mkdirSync(own, { recursive: true });
  const port = await freePort();
  const configFile = writeRialtoConfig(own, {
    server: { host: '127.0.0.1', port },
    dataDirectory: join(own, 'data'),
    logLevel: 'silent',
    systemPrompt: '',
    discoverModels: false,
    rateLimits: {
      enabled: true,
      store: 'memory',
      overrides: {
        XS: UNREACHABLE_LIMITS,
        S: UNREACHABLE_LIMITS,
        M: UNREACHABLE_LIMITS,
        L: UNREACHABLE_LIMITS,
      },
    },
    models: [{ id: model, engine, contextLength, pricing: BENCH_PRICING }],
  });
  const apiKey = await createInferenceKey(configFile);
  await rialtoCli(['balance', 'add', '1000'], configFile);
  const { child, origin } = await startRialtoServer(name, configFile, port, apiKey, model);
  return { pid: child.process.pid, origin, apiKey };
}
