// The llama-server engine against the real binary and the tiny GGUF: start, a chat (JSON and stream), SIGKILL of the
// child → requests fail, a new child serves, close → no child left. Skipped, loudly, where the binary is not built.
// Among the end-to-end files, late in the run, so that under CI the test build .ci/run starts has had the unit tests'
// time to finish before this file waits for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { parseConfig } from '../../src/config.ts';
import type { LlamaServerEngineConfig } from '../../src/config/engine-config.ts';
import type { EngineChatEvent, EngineChatRequest } from '../../src/engines/engine.ts';
import type { ModelOf } from '../../src/engines/engine-kind.ts';
import { EngineError } from '../../src/engines/engine-error.ts';
import { LlamaServerEngine } from '../../src/engines/llama-server/llama-server-engine.ts';
import { testLlamaServerBinary } from '../../src/engines/llama-server/llama-server-test-binary.ts';
import { drain, text, alive } from '../support/engine-chat-events.ts';

const binary = await testLlamaServerBinary();

const chat = (extra: Partial<EngineChatRequest> = {}): EngineChatRequest => ({
  model: 'tiny',
  messages: [{ role: 'user', content: 'Hello there' }],
  maxTokens: 8,
  temperature: 0,
  stream: false,
  n: 1,
  ...extra,
});

describe('the llama-server engine', {
  skip: binary === undefined ? 'llama-server is not built (scripts/build-llama-server.sh)' : false,
}, () => {
  let engine: LlamaServerEngine;
  let contextSize: number;

  before(async () => {
    const config = parseConfig({
      discoverModels: false,
      models: [
        {
          id: 'tiny',
          engine: {
            kind: 'llama-server',
            path: await tinyModelPath(),
            binary,
            threads: 1,
            sequences: 2,
            contextSize: 512,
          },
        },
      ],
    });
    const model = config.models[0]!;
    if (model.engine.kind !== 'llama-server') throw new Error('the config parsed to another kind');
    const served: ModelOf<LlamaServerEngineConfig> = { ...model, engine: model.engine };
    ({ engine, contextSize } = await LlamaServerEngine.start(
      served,
      '/',
      pino({ level: 'silent' }),
    ));
  });
  after(async () => engine?.close());

  test('starts with the context asked for each sequence, and is healthy', async () => {
    assert.equal(contextSize, 512);
    assert.deepEqual(await engine.checkHealth(AbortSignal.timeout(5_000)), {
      healthy: true,
      detail: `llama-server (pid ${engine.pid}) is ready`,
    });
    assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 2 });
  });

  for (const stream of [false, true]) {
    test(`a chat (${stream ? 'stream' : 'JSON'}) generates the tokens asked and reports their usage`, async () => {
      const call = { signal: new AbortController().signal, servedBy: '' };
      const { events, error } = await drain(engine.streamChat(chat({ stream }), call));
      assert.equal(error, undefined);
      assert.ok(text(events).length > 0, 'some text');
      assert.deepEqual(
        events.find((event) => event.type === 'finish'),
        { type: 'finish', choice: 0, reason: 'length' },
      );
      const usage = events.at(-1);
      assert.ok(
        usage?.type === 'usage' &&
          usage.usage.completionTokens === 8 &&
          usage.usage.promptTokens > 0,
        JSON.stringify(usage),
      );
      assert.equal(call.servedBy, 'llama-server');
    });
  }

  test("a stream in the child's read batches (streamChatBatches): the same events as streamChat, never an empty batch, the usage last", async () => {
    const call = { signal: new AbortController().signal, servedBy: '' };
    const batches: (readonly EngineChatEvent[])[] = [];
    for await (const batch of engine.streamChatBatches(chat({ stream: true }), call))
      batches.push(batch);
    assert.ok(batches.every((batch) => batch.length > 0));
    const events = batches.flat();
    const { events: one } = await drain(engine.streamChat(chat({ stream: true }), call));
    assert.equal(text(events), text(one), 'greedy: the same text either way');
    assert.deepEqual(events.at(-1), one.at(-1));
    assert.equal(events.filter((event) => event.type === 'usage').length, 1);
    assert.equal(call.servedBy, 'llama-server');
  });

  test('SIGKILL of the child: the chat it was serving fails, a new child serves the next one', async () => {
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    const generating = engine.streamChat(chat({ stream: true, maxTokens: 100_000 }), {
      signal: new AbortController().signal,
    });
    assert.equal((await generating.next()).done, false, 'the chat generates');
    process.kill(pid, 'SIGKILL');
    const rest = await drain(generating);
    assert.ok(
      rest.error instanceof EngineError,
      `the generating chat fails: ${String(rest.error)}`,
    );
    assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 2 });

    // Sent while the child is dead or restarting: it waits for the new one.
    const next = await drain(engine.streamChat(chat(), { signal: new AbortController().signal }));
    assert.equal(next.error, undefined);
    assert.ok(text(next.events).length > 0);
    assert.ok(engine.pid !== undefined && engine.pid !== pid, 'another child serves the model');
  });

  test('close stops the child: no process is left', async () => {
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    await engine.close();
    assert.equal(alive(pid), false);
    const refused = await drain(
      engine.streamChat(chat(), { signal: new AbortController().signal }),
    );
    assert.ok(
      refused.error instanceof EngineError && refused.error.failure === 'offline',
      String(refused.error),
    );
  });
});
