import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineChatEvent } from '../../engines/engine.ts';
import { ChunkBuilder, chunkEncoder } from './chat-response.ts';
import type { VeniceParametersEcho } from '../../schemas/chat-response.ts';
import { chatCompletionChunk } from '../../schemas/chat-response.ts';

const identity = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'model "quoted" é' };
const echo: VeniceParametersEcho = {
  enable_e2ee: false,
  enable_web_search: 'on',
  enable_web_citations: true,
  enable_web_scraping: false,
  include_venice_system_prompt: true,
  include_search_results_in_stream: true,
  return_search_results_as_documents: false,
  strip_thinking_response: false,
  disable_thinking: false,
  web_search_citations: [{ title: 't', url: 'https://example.com', content: 'c', date: '' }],
};
const events: EngineChatEvent[] = [
  { type: 'content', choice: 0, text: 'Hello "world"\n\u2028 é 😀 \u0000' },
  { type: 'reasoning', choice: 0, text: 'hmm' },
  { type: 'content', choice: 1, text: '' },
  { type: 'tool_call', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{"a"' },
  { type: 'tool_call', choice: 0, index: 0, arguments: ':1}' },
  { type: 'finish', choice: 0, reason: 'stop' },
  { type: 'finish', choice: 1, reason: 'length' },
  { type: 'usage', usage: { promptTokens: 3, completionTokens: 5, reasoningTokens: 1 } },
];

test('the chunk encoder writes the bytes JSON.stringify writes, for every kind of chunk', () => {
  const builder = new ChunkBuilder(identity, () => ({ usd: 0.5, diem: 0 }), true, {
    veniceParameters: echo,
    resultsChunk: true,
  });
  const encode = chunkEncoder(identity);
  const chunks = events.flatMap((event) => builder.chunksOf(event));
  assert.equal(chunks.length, 11);
  for (const chunk of chunks) {
    assert.equal(encode(chunk), JSON.stringify(chunk));
    chatCompletionChunk.parse(JSON.parse(encode(chunk)));
  }
});

test('the echo goes on the first chunk only; without include_usage the usage makes no chunk', () => {
  const builder = new ChunkBuilder(identity, () => ({ usd: 0, diem: 1 }), false, {
    veniceParameters: echo,
    resultsChunk: false,
  });
  const chunks = events.flatMap((event) => builder.chunksOf(event));
  assert.deepEqual(
    chunks.map((chunk) => chunk.venice_parameters !== undefined),
    [true, ...chunks.slice(1).map(() => false)],
  );
  assert.equal(chunks.filter((chunk) => chunk.usage !== undefined).length, 0);
  assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' });
});
