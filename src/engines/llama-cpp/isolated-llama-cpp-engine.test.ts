// Issue #15.3: the llama.cpp process dies (or would) under a request. Whatever happens, each request in flight gets
// an EngineError, the engine's load (rialto_engine_active / _queued) returns to 0, and the model serves again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { tinyModelPath } from '../../../test/fixtures/tiny-gguf.ts';
import { parseConfig, type ModelConfig } from '../../config.ts';
import { drain } from '../../../test/support/engine-chat-events.ts';
import type { EngineChatRequest } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { IsolatedLlamaCppEngine } from './isolated-llama-cpp-engine.ts';

/** A schema of `levels` objects, each the only property of the one around it (3 JSON levels per object). */
function nestedSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < levels; level++)
    schema = { type: 'object', properties: { a: schema }, required: ['a'] };
  return schema;
}

const chat = (extra: Partial<EngineChatRequest> = {}): EngineChatRequest => ({
  model: 'tiny',
  messages: [{ role: 'user', content: 'Talk for a long time' }],
  maxTokens: 1000,
  temperature: 0,
  stream: true,
  n: 1,
  ...extra,
});

describe('the isolated llama.cpp engine when its process dies or would', () => {
  let engine: IsolatedLlamaCppEngine;

  before(async () => {
    const config = parseConfig({
      discoverModels: false,
      models: [
        {
          id: 'tiny',
          engine: {
            kind: 'llama-cpp',
            path: await tinyModelPath(),
            threads: 1,
            sequences: 1,
            isolation: 'process',
          },
          contextLength: 2048,
        },
      ],
    });
    const model: ModelConfig = config.models[0]!;
    engine = await IsolatedLlamaCppEngine.start(
      model,
      await tinyModelPath(),
      pino({ level: 'silent' }),
    );
  });
  after(async () => engine?.close());

  test('SIGKILL with one chat generating and one queued: both fail, the load returns to 0, a new process serves', async () => {
    const pid = engine.pid;
    assert.ok(pid !== undefined);
    const first = engine.streamChat(chat(), { signal: new AbortController().signal });
    const started = await first.next();
    assert.equal(started.done, false, 'the first chat generates');
    let settled = false;
    const second = drain(
      engine.streamChat(chat(), { signal: new AbortController().signal }),
    ).finally(() => {
      settled = true;
    });
    // The second chat reaches the process and waits there for the one sequence.
    while (engine.load().queued === 0 && !settled)
      await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(engine.load(), { active: 1, queued: 1, capacity: 1 });

    process.kill(pid, 'SIGKILL');
    const [rest, queued] = await Promise.all([drain(first), second]);
    assert.ok(
      rest.error instanceof EngineError && rest.error.failure === 'failed',
      `the generating chat fails: ${String(rest.error)}`,
    );
    assert.ok(
      queued.error instanceof EngineError && queued.error.failure === 'failed',
      `the queued chat fails: ${String(queued.error)}`,
    );
    assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 1 });

    const next = await drain(
      engine.streamChat(chat({ maxTokens: 4 }), { signal: new AbortController().signal }),
    );
    assert.equal(next.error, undefined);
    assert.ok(next.events.some((event) => event.type === 'finish'));
    assert.ok(engine.pid !== undefined && engine.pid !== pid, 'another process serves the model');
  });

  // 1,000 objects (3,000 levels of JSON) overflowed the process's IPC deserializer and killed it; 5,000 overflowed
  // the server's serializer, which threw past the engine's accounting and left a sequence counted busy forever.
  for (const levels of [1_000, 5_000]) {
    test(`a request nested ${levels * 3} levels deep is refused as a bad request, and the process lives on`, async () => {
      const pid = engine.pid;
      const bomb = await drain(
        engine.streamChat(
          chat({ responseFormat: { type: 'json_schema', schema: nestedSchema(levels) } }),
          { signal: new AbortController().signal },
        ),
      );
      assert.ok(
        bomb.error instanceof EngineError && bomb.error.failure === 'bad_request',
        `refused: ${String(bomb.error)}`,
      );
      assert.deepEqual(engine.load(), { active: 0, queued: 0, capacity: 1 });
      const next = await drain(
        engine.streamChat(chat({ maxTokens: 4 }), { signal: new AbortController().signal }),
      );
      assert.equal(next.error, undefined);
      assert.equal(engine.pid, pid, 'the same process still serves the model');
    });
  }
});
