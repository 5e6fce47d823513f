import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The CLI entry point, run as `node bin/rialto.js …`. */
export const RIALTO_BIN = join(import.meta.dirname, '../../bin/rialto.js');

export interface SpawnedRialto {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** e.g. http://127.0.0.1:PORT/api/v1 */
  url: string;
  /** What the process logged up to its "listening" line. */
  output: string;
  /** Everything it logged to stdout so far. */
  log(): string;
}

/**
 * Starts `rialto serve --config FILE` in its own process and resolves once it listens. Its stdout is read to the
 * end, so log lines written later (on shutdown) never meet a closed pipe.
 */
export function spawnRialto(
  config: string,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<SpawnedRialto> {
  const child = spawn(process.execPath, [RIALTO_BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: environment,
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const url = /Rialto listening on (http:\/\/[^\s"]+)/.exec(output)?.[1];
      if (url !== undefined) resolve({ child, url, output, log: () => output });
    });
    // After a resolve, this reject is a no-op.
    child.stdout.on('end', () => reject(new Error(`rialto serve did not start: ${output}`)));
  });
}
