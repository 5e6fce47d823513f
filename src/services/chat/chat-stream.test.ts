import assert from 'node:assert/strict';
import test from 'node:test';
import type { EngineChatEvent } from '../../engines/engine.ts';
import { EngineError } from '../../engines/engine-error.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { EventNormalizer } from './chat-events.ts';
import { ChunkBuilder } from './chat-response.ts';
import { chatChunkStream } from './chat-stream.ts';

/**
 * An engine's events in batches (one a text; the finish and the usage last, together, as an upstream's last read
 * brings them), with how often its iteration was closed (the engine stopped) and how far it got.
 */
function engineEvents(
  texts: string[],
  failAfter?: number,
): { events: AsyncIterable<readonly EngineChatEvent[]>; closed: () => number } {
  let closed = 0;
  async function* events(): AsyncGenerator<readonly EngineChatEvent[]> {
    try {
      for (const [index, text] of texts.entries()) {
        if (index === failAfter) throw new EngineError('overloaded', 'upstream overloaded');
        // A later turn of the event loop, as an upstream read is.
        await new Promise((resolve) => setImmediate(resolve));
        yield [{ type: 'content', choice: 0, text }];
      }
      yield [
        { type: 'finish', choice: 0, reason: 'stop' },
        { type: 'usage', usage: { promptTokens: 3, completionTokens: texts.length } },
      ];
    } finally {
      closed += 1;
    }
  }
  return { events: events(), closed: () => closed };
}

function stream(events: AsyncIterable<readonly EngineChatEvent[]>) {
  return chatChunkStream(events, {
    normalizer: new EventNormalizer({ splitThinkTags: false, stripThinking: false }),
    metering: undefined,
    documents: undefined,
    builder: new ChunkBuilder(
      { id: 'chatcmpl-1', created: 1, model: 'm' },
      () => ({ usd: 0, diem: 0 }),
      true,
    ),
  });
}

test('the chunks come out in order, the usage chunk last, and the engine is closed once', async () => {
  const engine = engineEvents(['a', 'b', 'c']);
  const chunks = [];
  for await (const chunk of await stream(engine.events)) chunks.push(chunk);
  assert.deepEqual(
    chunks.map((chunk) => chunk.choices[0]?.delta ?? 'usage'),
    [
      { role: 'assistant', content: '' },
      { content: 'a' },
      { content: 'b' },
      { content: 'c' },
      {},
      'usage',
    ],
  );
  assert.equal(chunks.at(-1)?.usage?.completion_tokens, 3);
  assert.equal(engine.closed(), 1);
});

test('returned before its first chunk is read, the engine is closed once and the stream is over', async () => {
  const engine = engineEvents(['a', 'b']);
  const chunks = await stream(engine.events);
  assert.deepEqual(await chunks.return(undefined), { done: true, value: undefined });
  assert.equal(engine.closed(), 1);
  assert.deepEqual(await chunks.next(), { done: true, value: undefined });
  await chunks.return(undefined);
  assert.equal(engine.closed(), 1);
});

test('an engine failure mid-stream comes out as its Venice error, the engine closed once', async () => {
  const engine = engineEvents(['a', 'b', 'c'], 2);
  const chunks = await stream(engine.events);
  const read: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const chunk of chunks) read.push(chunk);
    },
    (error: unknown) => error instanceof VeniceError && error.code === 'MODEL_OVERLOADED',
  );
  assert.equal(read.length, 3, 'the role chunk and two content chunks went out first');
  assert.equal(engine.closed(), 1);
});

test('returned while a chunk is awaited, the engine is closed once and that read ends the stream', async () => {
  const engine = engineEvents(['a', 'b', 'c']);
  const chunks = await stream(engine.events);
  await chunks.next();
  await chunks.next();
  const waiting = chunks.next();
  await chunks.return(undefined);
  assert.deepEqual(await waiting, { done: true, value: undefined });
  assert.equal(engine.closed(), 1);
});
