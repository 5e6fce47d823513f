// Starting llama-server when it cannot serve, with real processes in its place (no llama-server needed): the start
// fails saying why, with the child's last lines, and leaves no process behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { launchLlamaServer } from './llama-server-launch.ts';

const logger = pino({ level: 'silent' });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('launching llama-server', () => {
  let folder: string;
  const script = async (name: string, body: string): Promise<string> => {
    const path = join(folder, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };

  /** Starts `binary` as llama-server (Launch: its arguments for the socket, a silent log, `startTimeoutMs`). */
  const launch = (
    binary: string,
    startTimeoutMs: number,
    argumentsFor: (socketPath: string) => string[] = () => [],
  ) => launchLlamaServer({ binary, argumentsFor, logger, startTimeoutMs });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-llama-server-'));
  });
  after(async () => rm(folder, { recursive: true, force: true }));

  test('a binary that is not there fails the start with the spawn error', async () => {
    await assert.rejects(launch(join(folder, 'missing'), 10_000), /ENOENT/);
  });

  test('a child that exits before it is healthy fails the start with its exit and its last lines', async () => {
    const binary = await script(
      'fails.sh',
      'echo "loading model"\necho "error: failed to load model on $2" >&2\nexit 3',
    );
    let socketPath = '';
    await assert.rejects(
      launch(binary, 10_000, (path) => {
        socketPath = path;
        return ['--host', path];
      }),
      (error: Error) => {
        assert.match(error.message, /exited \(code 3\) before it was ready/);
        assert.match(error.message, /error: failed to load model on \/\S+\/server\.sock/);
        return true;
      },
    );
    // The socket's folder, Rialto's user's alone while the child ran, is gone with it.
    assert.match(socketPath, /rialto-llama-[^/]+\/server\.sock$/);
    assert.equal(existsSync(dirname(socketPath)), false);
  });

  test("the child's socket is in a folder only Rialto's user can open", async () => {
    const modeFile = join(folder, 'mode');
    const binary = await script('records.sh', `stat -c %a "$(dirname "$2")" > ${modeFile}\nexit 1`);
    await assert.rejects(
      launch(binary, 10_000, (path) => ['--host', path]),
      /exited/,
    );
    assert.equal((await readFile(modeFile, 'utf8')).trim(), '700');
  });

  test('a temporary folder too long for a Unix socket fails the start saying so, before any child runs', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(folder, 'x'.repeat(100));
    try {
      await assert.rejects(
        launch(join(folder, 'never-run'), 1_000),
        /too long a path for llama-server's Unix socket: set TMPDIR/,
      );
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  test('a child that never becomes healthy is stopped after startTimeoutMs', async () => {
    const pidFile = join(folder, 'pid');
    const binary = await script('hangs.sh', `echo $$ > ${pidFile}\nexec sleep 60`);
    await assert.rejects(launch(binary, 300), /did not become healthy in time/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.equal(alive(pid), false, 'the child is gone');
  });
});
