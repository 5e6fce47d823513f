import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerSentEvents, type ServerSentEvent } from './sse-parser.ts';

async function parse(pieces: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents((async function* () { yield* pieces.map((piece) => new TextEncoder().encode(piece)); })())) events.push(event);
  return events;
}

test('events split anywhere across chunks are reassembled', async () => {
  const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\ndata: [DONE]\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await parse([text.slice(0, cut), text.slice(cut)]), [{ data: '{"a":1}' }, { data: '{"b":2}' }, { data: '[DONE]' }], `cut at ${cut}`);
  }
});

test("comments are skipped and llama.cpp's error field becomes an error event", async () => {
  assert.deepEqual(await parse([': ping\n\nerror: {"code":500}\n\n']), [{ event: 'error', data: '{"code":500}' }]);
});

test('a multi-byte character split across chunks survives', async () => {
  const bytes = new TextEncoder().encode('data: "é€"\n\n');
  const events: ServerSentEvent[] = [];
  const source = (async function* () { for (const byte of bytes) yield new Uint8Array([byte]); })();
  for await (const event of parseServerSentEvents(source)) events.push(event);
  assert.deepEqual(events, [{ data: '"é€"' }]);
});
