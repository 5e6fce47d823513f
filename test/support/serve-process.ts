// `rialto serve` in a folder of its own, as a newcomer runs it: its output read as it comes, waited on by pattern.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { RIALTO_BIN } from './spawn-rialto.ts';

export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process ends first, or after 3 minutes. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<number | string>;
  /** The exit code of a process expected to end by itself; killed (SIGKILL, a hang guard) if it has not in 60 s. */
  exit(): Promise<number | string>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it ended. Safe to call twice. */
  stop(): Promise<void>;
}

export function startServe(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): ServeProcess {
  const child = spawn(process.execPath, [RIALTO_BIN, 'serve', ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const wake of waiters) wake();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        // A hang guard, not a timing assertion: output that never comes fails the test instead of hanging the suite.
        const guard = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} from rialto serve in 3 minutes: ${out}\n${err}`));
        }, 180_000);
        const check = (): void => {
          const match = pattern.exec(out);
          if (match === null && !ended) return;
          waiters.delete(check);
          clearTimeout(guard);
          if (match !== null) resolve(match);
          else reject(new Error(`rialto serve ended before ${pattern}: ${out}\n${err}`));
        };
        waiters.add(check);
        check();
      }),
    exit: async () => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        return await exited;
      } finally {
        clearTimeout(guard);
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
      }
    },
  };
}
