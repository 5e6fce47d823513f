/**
 * llama.cpp's own `llama-server` as a baseline of engine-overhead.ts (issues #17, #21): built offline from the llama.cpp
 * source node-llama-cpp ships (scripts/build-llama-server.sh), started on the bench's GGUF with the context, sequences
 * (`-np`, one slot each) and threads (`-t`, `-tb`) the other sides get, and read through its OpenAI API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request as undiciRequest } from 'undici';
import { freePort, ROOT, running, startChild, type Child } from './harness.ts';

const BUILD_SCRIPT = join(ROOT, 'scripts', 'build-llama-server.sh');

/** The binary: $LLAMA_SERVER_BIN, else the one build-llama-server.sh built; undefined (with the reason) when there is none. */
export function llamaServerBinary(): { binary: string } | { missing: string } {
  const fromEnvironment = process.env.LLAMA_SERVER_BIN;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    return existsSync(fromEnvironment)
      ? { binary: fromEnvironment }
      : { missing: `LLAMA_SERVER_BIN=${fromEnvironment} does not exist` };
  }
  const found = spawnSync('bash', [BUILD_SCRIPT, '--path'], { encoding: 'utf8' });
  const path = found.stdout.trim().split('\n').at(-1) ?? '';
  if (found.status === 0 && path !== '') return { binary: path };
  return {
    missing: `llama-server is not built (${found.stderr.trim() || `no ${path}`}); build it once with scripts/build-llama-server.sh (~8 min on 2 cores), or set LLAMA_SERVER_BIN`,
  };
}

export interface LlamaServerOptions {
  contextSize: number;
  sequences: number;
  threads: number;
}

/**
 * Starts llama-server on 127.0.0.1 and waits for its /health. node-llama-cpp gives each sequence contextSize cells of
 * its own (no unified KV cache), so llama-server gets contextSize × sequences split over `sequences` slots, the same.
 * Flash attention stays at both sides' default (auto).
 */
export async function startLlamaServer(
  binary: string,
  modelPath: string,
  options: LlamaServerOptions,
): Promise<{ child: Child; origin: string }> {
  const port = await freePort();
  const threads = String(options.threads);
  const child = startChild(
    'llama-server',
    [
      '-m',
      modelPath,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '-c',
      String(options.contextSize * options.sequences),
      '-np',
      String(options.sequences),
      '-t',
      threads,
      '-tb',
      threads,
      '--no-webui',
      '--log-disable',
    ],
    process.env,
    false,
    binary,
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running(child.process))
      throw new Error(`llama-server exited before it was ready:\n${child.output()}`);
    try {
      const response = await undiciRequest(`${origin}/health`);
      await response.body.dump();
      if (response.statusCode === 200) return { child, origin };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`llama-server not ready after 60 s:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
