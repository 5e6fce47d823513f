/**
 * The Rialto sides of engine-overhead.ts: `rialto serve` on the bench's GGUF with keys, rate limits (limits no run
 * reaches) and a priced model on a funded account, so auth, the limiter, the reservation and the settlement all run;
 * the model on either embedded kind (`llama-cpp`, node-llama-cpp; `llama-server`, llama.cpp's server as Rialto's child).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBilledRialto } from './harness.ts';

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
  // An empty system prompt: the model sees only the user message, as the bare and llama-server sides do.
  const { child, origin, apiKey } = await startBilledRialto('', model, engine, {
    directory: own,
    name,
    balanceUsd: '1000',
    model: { contextLength },
    config: { systemPrompt: '' },
  });
  return { pid: child.process.pid, origin, apiKey };
}
