import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseServerSentEvents,
  ServerSentEventParser,
  type ServerSentEvent,
} from './sse-parser.ts';

async function parse(pieces: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(
    (async function* () {
      yield* pieces.map((piece) => new TextEncoder().encode(piece));
    })(),
  ))
    events.push(event);
  return events;
}

test('events split anywhere across chunks are reassembled', async () => {
  const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\ndata: [DONE]\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(
      await parse([text.slice(0, cut), text.slice(cut)]),
      [{ data: '{"a":1}' }, { data: '{"b":2}' }, { data: '[DONE]' }],
      `cut at ${cut}`,
    );
  }
});

test("comments are skipped and llama.cpp's error field becomes an error event", async () => {
  assert.deepEqual(await parse([': ping\n\nerror: {"code":500}\n\n']), [
    { event: 'error', data: '{"code":500}' },
  ]);
});

test('a multi-byte character split across chunks survives', async () => {
  const bytes = new TextEncoder().encode('data: "é€"\n\n');
  const events: ServerSentEvent[] = [];
  const source = (async function* () {
    for (const byte of bytes) yield new Uint8Array([byte]);
  })();
  for await (const event of parseServerSentEvents(source)) events.push(event);
  assert.deepEqual(events, [{ data: '"é€"' }]);
});

test('a \\r\\n split across pieces ends one line, not two', () => {
  const parser = new ServerSentEventParser();
  const events = [
    ...parser.push('data: a\r'),
    ...parser.push('\ndata: b\r\n\r\n'),
    ...parser.end(),
  ];
  assert.deepEqual(events, [{ data: 'a\nb' }]);
});

test('push returns every event a piece completes, at once', () => {
  const parser = new ServerSentEventParser();
  assert.deepEqual(parser.push('data: 1\n\nevent: x\ndata: 2\n\ndata: 3'), [
    { data: '1' },
    { event: 'x', data: '2' },
  ]);
  assert.deepEqual(parser.end(), [{ data: '3' }]);
});

test('a leading byte order mark is dropped, even split across pieces; a later one is part of its line', () => {
  const bom = [0xef, 0xbb, 0xbf];
  const data = [...new TextEncoder().encode('data: a\n\n')];
  for (let cut = 0; cut <= bom.length + data.length; cut += 1) {
    const bytes = [...bom, ...data, ...bom, ...data];
    const parser = new ServerSentEventParser();
    const events = [
      ...parser.push(new Uint8Array(bytes.slice(0, cut))),
      ...parser.push(new Uint8Array(bytes.slice(cut))),
      ...parser.end(),
    ];
    // The second line's field is `\uFEFFdata`, which SSE ignores.
    assert.deepEqual(events, [{ data: 'a' }], `cut at ${cut}`);
  }
});
