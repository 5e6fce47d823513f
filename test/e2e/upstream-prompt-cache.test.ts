// Prompt caching on an upstream (vLLM with prefix caching, replayed: test/recordings/vllm/cached*.json):
// prompt_cache_key and cache_control reach the upstream as sent; the cached tokens it reports come back in
// usage.prompt_tokens_details.cached_tokens, JSON and stream, and are priced at the model's cache_input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import type { TestRialto } from '../support/start-rialto.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import { bodyOf, chatModel, lastRequest, useReplayRialto } from './upstream-support.ts';

const PRICING = {
  input: { usd: 1, diem: 1 },
  cache_input: { usd: 0.25, diem: 0.25 },
  output: { usd: 2, diem: 2 },
};
/** What the recordings report: 1,040 prompt tokens, 1,024 of them from the cache, 9 completion tokens. */
const EXPECTED_USD = ((1040 - 1024) * 1 + 1024 * 0.25 + 9 * 2) / 1e6;

describe('prompt caching on an openai-compatible upstream (vLLM)', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;
  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      models: [{ ...chatModel('cached-upstream', 'vllm', [url]), pricing: PRICING }],
    }),
    (servers) => ({ replay, rialto } = servers),
  );

  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    {
      role: 'system',
      content: [
        {
          type: 'text',
          text: 'A long document about Venice, paragraph after paragraph.',
          cache_control: { type: 'ephemeral' },
        } as OpenAI.Chat.Completions.ChatCompletionContentPartText,
      ],
    },
    { role: 'user', content: '#cached What is the third paragraph about?' },
  ];

  it('JSON: prompt_cache_key and cache_control reach the upstream; its cached tokens are reported and priced at cache_input', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'cached-upstream',
      messages,
      prompt_cache_key: 'venice-doc',
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    const sent = bodyOf(lastRequest(replay));
    assert.equal(sent.prompt_cache_key, 'venice-doc');
    assert.deepEqual((sent.messages as { content: unknown }[])[0]!.content, [
      {
        type: 'text',
        text: 'A long document about Venice, paragraph after paragraph.',
        cache_control: { type: 'ephemeral' },
      },
    ]);
    assert.equal(completion.usage?.prompt_tokens, 1040);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 1024);
    assert.equal(
      (completion as unknown as { cost: { usd: number } }).cost.usd,
      Math.round(EXPECTED_USD * 1e12) / 1e12,
    );
  });

  it('stream: the usage chunk carries the cached tokens and their price', async () => {
    const stream = await rialto.client.chat.completions.create({
      model: 'cached-upstream',
      messages,
      prompt_cache_key: 'venice-doc',
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: (OpenAI.Completions.CompletionUsage & { cost?: unknown }) | undefined;
    let cost: { usd: number } | undefined;
    for await (const chunk of stream) {
      validateChatCompletionChunk(chunk);
      if (chunk.usage)
        [usage, cost] = [chunk.usage, (chunk as unknown as { cost: { usd: number } }).cost];
    }
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 1024);
    assert.equal(cost?.usd, Math.round(EXPECTED_USD * 1e12) / 1e12);
    assert.equal(bodyOf(lastRequest(replay)).prompt_cache_key, 'venice-doc');
  });
});
