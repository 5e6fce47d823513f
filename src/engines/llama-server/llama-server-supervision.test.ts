// How the engine supervises its child, with the llama.cpp server's recordings replayed by a real child process in
// llama-server's place (test/support/upstream/replay-llama-server.ts), so it runs where llama-server is not built:
// start, chat, SIGKILL → the stream fails, requests wait for the restart, a restart that fails → MODEL_OFFLINE, and
// close → no child left. test/e2e/llama-server-engine.test.ts runs the same against the real binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parseConfig } from '../../config.ts';
import type { EngineChatRequest } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { LlamaServerEngine } from './llama-server-engine.ts';
import { drain, text, alive } from '../../../test/support/engine-chat-events.ts';

const REPLAY = fileURLToPath(
  new URL('../../../test/support/upstream/replay-llama-server.ts', import.meta.url),
);
const chat = (stream: boolean): EngineChatRequest => ({
  model: 'tiny',
  messages: [{ role: 'user', content: '#plain Say hello' }],
  stream,
  n: 1,
});
const call = () => ({ signal: new AbortController().signal });

/** Waits (without a deadline: the test runner's timeout is the bound) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the llama-server engine supervising its child', () => {
  let folder: string;
  let refuseFile: string;
  let engine: LlamaServerEngine;
  let contextSize: number;
  let expected: string;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-llama-server-'));
    refuseFile = join(folder, 'refuse');
    const binary = join(folder, 'llama-server');
    await writeFile(
      binary,
      `#!/bin/sh\nREPLAY_CHUNK_DELAY_MS=40 REPLAY_REFUSE_FILE=${refuseFile} exec "${process.execPath}" --import tsx "${REPLAY}" "$@"\n`,
    );
    await chmod(binary, 0o755);
    const model = parseConfig({
      discoverModels: false,
      models: [
        { id: 'tiny', engine: { kind: 'llama-server', path: 'tiny.gguf', binary, threads: 1 } },
      ],
    }).models[0]!;
    if (model.engine.kind !== 'llama-server') throw new Error('the config parsed to another kind');
    ({ engine, contextSize } = await LlamaServerEngine.start(
      { ...model, engine: model.engine },
      folder,
      pino({ level: 'silent' }),
    ));
  });
  after(async () => {
    await engine?.close();
    await rm(folder, { recursive: true, force: true });
  });

  test("starts, reads each slot's context from /props, is healthy, and answers chat (JSON and stream) as the upstream does", async () => {
    assert.equal(contextSize, 4096);
    assert.equal((await engine.checkHealth(AbortSignal.timeout(5_000))).healthy, true);
    assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 2 });
    const served = { ...call(), servedBy: '' };
    const json = await drain(engine.streamChat(chat(false), served));
    assert.equal(json.error, undefined);
    expected = text(json.events);
    assert.ok(expected.length > 0);
    assert.equal(served.servedBy, 'llama-server');
    const stream = await drain(engine.streamChat(chat(true), call()));
    assert.equal(stream.error, undefined);
    assert.equal(text(stream.events), expected);
  });

  test('SIGKILL: the stream it was serving fails, a request sent while it restarts waits and is served by the new child', async () => {
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    const generating = engine.streamChat(chat(true), call());
    assert.equal((await generating.next()).done, false, 'the stream has begun');
    process.kill(pid, 'SIGKILL');
    const rest = await drain(generating);
    assert.ok(rest.error instanceof EngineError, `the stream fails: ${String(rest.error)}`);
    await until(() => engine.pid === undefined);
    assert.equal((await engine.checkHealth(AbortSignal.timeout(5_000))).healthy, false);
    const waiting = await drain(engine.streamChat(chat(false), call()));
    assert.equal(waiting.error, undefined);
    assert.equal(text(waiting.events), expected);
    assert.ok(engine.pid !== undefined && engine.pid !== pid, 'another child serves');
    assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 2 });
  });

  test('a restart that fails answers offline (503 MODEL_OFFLINE); the next one that succeeds serves again', async () => {
    await writeFile(refuseFile, '');
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await until(() => engine.pid === undefined);
    const refused = await drain(engine.streamChat(chat(false), call()));
    assert.ok(
      refused.error instanceof EngineError && refused.error.failure === 'offline',
      String(refused.error),
    );
    await unlink(refuseFile);
    await until(() => engine.pid !== undefined);
    const served = await drain(engine.streamChat(chat(false), call()));
    assert.equal(served.error, undefined);
    assert.equal(text(served.events), expected);
  });

  test('close stops the child and no restart follows: no process is left, a request is offline', async () => {
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    await engine.close();
    assert.equal(alive(pid), false);
    assert.equal(engine.pid, undefined);
    const refused = await drain(engine.streamChat(chat(false), call()));
    assert.ok(
      refused.error instanceof EngineError && refused.error.failure === 'offline',
      String(refused.error),
    );
  });
});
