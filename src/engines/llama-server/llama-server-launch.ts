import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { findExecutable } from '../../runtime/find-executable.ts';

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
  /** The Unix domain socket it listens on (llama-server's `--host PATH.sock`), in a folder only Rialto's user reads. */
  readonly socketPath: string;
  /** Reaches the child's own endpoints (/health, /props) through its socket; closed when the child's streams close. */
  readonly dispatcher: Dispatcher;
  /** Tokens of context each slot has (`/props`). */
  readonly contextSize: number;
}

/** What one launch runs: the binary, its arguments for the socket it is to listen on, and where its log goes. */
export interface Launch {
  readonly binary: string;
  readonly argumentsFor: (socketPath: string) => string[];
  readonly logger: Logger;
  readonly startTimeoutMs: number;
}

/**
 * A new folder of Rialto's user alone (mode 0700, under the system's temporary folder) and the path of the child's
 * socket in it. A Unix socket, not a port on 127.0.0.1: llama-server has no keys of its own, so any local process
 * could use a port to reach the model around Rialto's keys, limits and billing; the folder lets only Rialto's user
 * connect. It also costs less a request (llama-server closes every stream's connection, so each stream connects anew:
 * a connect and close on a Unix socket took 107–113 µs of wall time here, on loopback TCP 142–159).
 */
function socketFolder(): { folder: string; socketPath: string } {
  // Short: a socket's path must fit in 108 bytes. llama-server takes a host ending in `.sock` for a Unix socket.
  const base = join(tmpdir(), 'rialto-llama-');
  // The folder's 6 random characters and '/server.sock' after it, within sun_path's 107 bytes.
  if (Buffer.byteLength(base) + 18 > 107)
    throw new Error(
      `the temporary folder ${tmpdir()} is too long a path for llama-server's Unix socket: set TMPDIR to a shorter one`,
    );
  removeDeadOwnersFolders();
  const folder = mkdtempSync(base);
  writeFileSync(join(folder, OWNER_FILE), String(process.pid));
  return { folder, socketPath: join(folder, 'server.sock') };
}

/** The file in a socket's folder that names the Rialto process the folder is for. */
const OWNER_FILE = 'owner.pid';

/** Whether process `pid` exists (EPERM: another user's, which exists). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the socket folders that a Rialto process killed outright (SIGKILL: no 'close' handler ran) left in the
 * temporary folder: a folder (not a link) of this user, named as socketFolder names them, whose owner file names a
 * process that no longer exists. A folder without an owner file (another program's, or one being made) is left.
 */
function removeDeadOwnersFolders(): void {
  const parent = tmpdir();
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const user = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith('rialto-llama-')) continue;
    const folder = join(parent, name);
    try {
      const stats = lstatSync(folder);
      if (!stats.isDirectory() || (user !== undefined && stats.uid !== user)) continue;
      const owner = Number(readFileSync(join(folder, OWNER_FILE), 'utf8'));
      if (Number.isSafeInteger(owner) && owner > 0 && !processExists(owner))
        rmSync(folder, { recursive: true, force: true });
    } catch {
      // No owner file, or gone meanwhile: not one to remove.
    }
  }
}

/** util-linux's setpriv on the PATH (Linux), looked up once; null where there is none. */
let setprivPath: string | null | undefined;

/** util-linux's setpriv, undefined where there is none (not Linux, or not installed). */
function setpriv(): string | undefined {
  setprivPath ??= process.platform === 'linux' ? (findExecutable('setpriv') ?? null) : null;
  return setprivPath ?? undefined;
}

/** Whether children run under `setpriv --pdeathsig KILL` here (withParentDeathSignal). */
export function hasParentDeathSignal(): boolean {
  return setpriv() !== undefined;
}

/**
 * The command line run under `setpriv --pdeathsig KILL` where util-linux's setpriv is there (any Linux with
 * util-linux: Debian's is essential, and in the container image): the kernel kills the child when Rialto dies, even
 * by SIGKILL or the OOM killer, when no handler of Rialto's runs. llama-server never notices its parent go (it reads
 * no stdin, and an idle one writes no log to fail on), so without this it would live on holding the model's memory,
 * and a restarted Rialto would load a second copy. setpriv sets the signal and execs the binary, so the child's pid is
 * llama-server's. Elsewhere the command as it is.
 */
function withParentDeathSignal(
  binary: string,
  args: readonly string[],
): { command: string; args: string[] } {
  const command = setpriv();
  return command === undefined
    ? { command: binary, args: [...args] }
    : { command, args: ['--pdeathsig', 'KILL', '--', binary, ...args] };
}

/** A dispatcher that reaches the child's socket (its own endpoints: /health, /props). */
export function socketDispatcher(socketPath: string): Dispatcher {
  return new Agent({ connect: { socketPath } });
}

/**
 * Starts llama-server on a socket of its own and waits until it has loaded the model (/health 200); rejects with
 * the tail of its log when it exits first or takes longer than `startTimeoutMs` (the child is then stopped). The
 * socket's folder goes when the child exits.
 */
export async function launchLlamaServer(launch: Launch): Promise<LaunchedServer> {
  const { folder, socketPath } = socketFolder();
  const removeFolder = (): void => rmSync(folder, { recursive: true, force: true });
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    const { command, args } = withParentDeathSignal(launch.binary, launch.argumentsFor(socketPath));
    child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    removeFolder();
    throw error;
  }
  const dispatcher = socketDispatcher(socketPath);
  // 'close' comes after 'exit' and also for a child that never spawned (ENOENT).
  child.once('close', () => {
    removeFolder();
    dispatcher.close().catch(() => undefined);
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
    await Promise.race([exited, waitHealthy(dispatcher, deadline, polling.signal)]);
    const contextSize = props.parse(await getJson(dispatcher, '/props')).default_generation_settings
      .n_ctx;
    return { child, socketPath, dispatcher, contextSize };
  } catch (error) {
    polling.abort();
    await stopChild(child);
    removeFolder();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}; its last lines:\n${tail.join('\n')}`, { cause: error });
  }
}

async function waitHealthy(
  dispatcher: Dispatcher,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  while (Date.now() < deadline && !signal.aborted) {
    // Not there or refused while it binds, 503 while it loads the model.
    const status = await request('http://localhost/health', { dispatcher, signal }).then(
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

/** GET `path` of the child as JSON through `dispatcher` (socketDispatcher; its own endpoints: /props, /health). */
export async function getJson(
  dispatcher: Dispatcher,
  path: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const answer = await request(
    `http://localhost${path}`,
    signal === undefined ? { dispatcher } : { dispatcher, signal },
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
