import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { request } from 'undici';
import { z } from 'zod';

const HEALTH_POLL_MS = 100;
const STOP_GRACE_MS = 5_000;
/** The lines of the child's log kept to say why a start failed. */
const TAIL_LINES = 20;

/** llama-server's GET /props: the fields read (the context each slot got). */
const props = z.object({
  default_generation_settings: z.object({ n_ctx: z.number().int().positive() }),
});

/** A llama-server that answered /health 200. */
export interface LaunchedServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Tokens of context each slot has (`/props`). */
  readonly contextSize: number;
}

/** What one launch runs: the binary, its arguments for a port, and where its log goes. */
export interface Launch {
  readonly binary: string;
  readonly argumentsFor: (port: number) => string[];
  readonly logger: Logger;
  readonly startTimeoutMs: number;
}

/** A port free on 127.0.0.1 now (the kernel's pick); the child binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts llama-server on a free port and waits until it has loaded the model (/health 200); rejects with the tail
 * of its log when it exits first or takes longer than `startTimeoutMs` (the child is then stopped).
 */
export async function launchLlamaServer(launch: Launch): Promise<LaunchedServer> {
  const port = await freePort();
  const child = spawn(launch.binary, launch.argumentsFor(port), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  // The child's log is the operator's at debug: at info it would repeat what Rialto logs, and never carries prompts.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      launch.logger.debug({ engine: 'llama-server', pid: child.pid }, line);
    });
  }
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`llama-server exited (${signal ?? `code ${code}`}) before it was ready`)),
    );
  });
  exited.catch(() => undefined);
  const deadline = Date.now() + launch.startTimeoutMs;
  // Ends the health polling when the start has failed otherwise (the child exited), so no poll outlives it.
  const polling = new AbortController();
  try {
    await Promise.race([exited, waitHealthy(port, deadline, polling.signal)]);
    const contextSize = props.parse(await getJson(port, '/props')).default_generation_settings
      .n_ctx;
    return { child, port, contextSize };
  } catch (error) {
    polling.abort();
    await stopChild(child);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}; its last lines:\n${tail.join('\n')}`, { cause: error });
  }
}

async function waitHealthy(port: number, deadline: number, signal: AbortSignal): Promise<void> {
  while (Date.now() < deadline && !signal.aborted) {
    // Refused while it binds, 503 while it loads the model.
    const status = await request(`http://127.0.0.1:${port}/health`, { signal }).then(
      async (answer) => {
        await answer.body.dump();
        return answer.statusCode;
      },
      () => 0,
    );
    if (status === 200) return;
    await sleep(HEALTH_POLL_MS);
  }
  throw new Error('llama-server did not become healthy in time');
}

/** GET `path` of the child as JSON (its own endpoints: /props, /health). */
export async function getJson(port: number, path: string, signal?: AbortSignal): Promise<unknown> {
  const answer = await request(
    `http://127.0.0.1:${port}${path}`,
    signal === undefined ? {} : { signal },
  );
  if (answer.statusCode !== 200) {
    await answer.body.dump();
    throw new Error(`llama-server answered ${path} with ${answer.statusCode}`);
  }
  return answer.body.json();
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  // A child that never spawned (no such binary) has no process to stop and may never emit 'exit'.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
