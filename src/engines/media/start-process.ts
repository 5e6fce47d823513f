import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EngineError } from '../engine-error.ts';

export interface RunningProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The exit code (null when killed by a signal); rejects with the spawn error if the binary cannot start. */
  readonly exit: Promise<number | null>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts `command` with piped stdio; aborting `signal` kills it (SIGKILL). A write to its stdin after it
 * died does not throw (the EPIPE is swallowed here; the caller learns of the death from `exit`), and
 * `exit` counts as handled, so a caller that gives up early leaves no unhandled rejection behind.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  signal: AbortSignal,
): RunningProcess {
  const child = spawn(command, args, { stdio: 'pipe' });
  const errors: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  child.stdin.on('error', () => undefined);
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => {
      signal.removeEventListener('abort', kill);
      reject(error);
    });
    child.once('close', (code) => {
      signal.removeEventListener('abort', kill);
      resolve(code);
    });
  });
  exit.catch(() => undefined);
  return { child, exit, stderr: () => Buffer.concat(errors).toString('utf8') };
}

/**
 * `signal`, also aborted `seconds` from now with EngineError 'timeout' as its reason: a child started with it is
 * killed then (SIGKILL), and `throwIfAborted()` on it throws that error, which answers the client 504.
 */
export function withTimeLimit(signal: AbortSignal, seconds: number, what: string): AbortSignal {
  const timer = new AbortController();
  setTimeout(
    () =>
      timer.abort(
        new EngineError('timeout', `${what} ran past its limit of ${seconds} s and was stopped`),
      ),
    seconds * 1000,
  ).unref();
  return AbortSignal.any([signal, timer.signal]);
}

/** Runs `command` with `input` on stdin and collects its stdout; see startProcess for `signal`. */
export async function runWithInput(
  command: string,
  args: readonly string[],
  input: string,
  signal: AbortSignal,
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const running = startProcess(command, args, signal);
  const chunks: Buffer[] = [];
  running.child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  running.child.stdin.end(input);
  const code = await running.exit;
  return { code, stdout: Buffer.concat(chunks), stderr: running.stderr() };
}
