// rialto-test: sqlite-only
// Prompt caching on the embedded engine (issue #7; docs/guides/features/prompt-caching.mdx): a request whose prompt
// shares a prefix with what a context sequence last evaluated is served on that sequence and evaluates only the
// rest; usage.prompt_tokens_details.cached_tokens says how much was reused, and those tokens are priced at the
// model's cache_input price. The answers are the same as without the cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

const price = (usd: number): { usd: number; diem: number } => ({ usd, diem: usd });
/** Per 1M tokens: cached prompt tokens cost a tenth of the others. */
const PRICING = { input: price(1), cache_input: price(0.1), output: price(2) };

/** A long system prompt of words the tiny model's vocabulary has: the shared prefix. */
function prefix(topic: string): string {
  return Array.from(
    { length: 60 },
    (_, index) => `${topic} ${index % 2 === 0 ? 'the world is' : 'hello you and'} ${topic}.`,
  ).join(' ');
}

type Completion = OpenAI.Chat.Completions.ChatCompletion;

describe('prompt caching on llama.cpp', () => {
  let rialto: TestRialto;

  before(async () => {
    const path = await tinyModelPath();
    rialto = await startRialto(
      {
        systemPrompt: '',
        models: [
          {
            id: 'tiny',
            engine: { kind: 'llama-cpp', path, threads: 1, sequences: 2 },
            contextLength: 2048,
            pricing: PRICING,
          },
          // The same GGUF on a sequence of its own: the reference the cached answers are compared with.
          {
            id: 'tiny-fresh',
            engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1 },
            contextLength: 2048,
            pricing: PRICING,
          },
        ],
      },
      { balanceUsd: 100 },
    );
  });
  after(async () => rialto?.close());

  async function ask(
    model: string,
    system: string,
    user: string,
    extra: Record<string, unknown> = {},
  ): Promise<Completion> {
    const completion = await rialto.client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      max_tokens: 8,
      temperature: 0,
      ...extra,
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    return completion;
  }
  const cachedOf = (completion: Completion): number =>
    completion.usage!.prompt_tokens_details!.cached_tokens!;

  test('a prompt sharing a long prefix reuses it: most of its tokens are cached, and the answer is the uncached one', async () => {
    const shared = prefix('lagoon');
    const first = await ask('tiny', shared, 'hello world');
    const second = await ask('tiny', shared, 'yes you');
    assert.ok(cachedOf(first) < 10, `a cold sequence holds nothing of it (${cachedOf(first)})`);
    assert.ok(
      cachedOf(second) > second.usage!.prompt_tokens * 0.8,
      `${cachedOf(second)} of ${second.usage!.prompt_tokens} cached`,
    );
    assert.ok(cachedOf(second) < second.usage!.prompt_tokens);
    const reference = await ask('tiny-fresh', shared, 'yes you');
    assert.equal(cachedOf(reference), 0);
    assert.equal(
      second.choices[0]!.message.content,
      reference.choices[0]!.message.content,
      'greedy answers are the same with and without the cache',
    );
  });

  test('two conversations on two sequences each come back to the sequence that holds their prefix', async () => {
    const [a, b] = [prefix('gondola'), prefix('bridge')];
    await Promise.all([ask('tiny', a, 'hi'), ask('tiny', b, 'hi')]);
    for (const [system, user] of [
      [b, 'yes'],
      [a, 'yes'],
      [b, 'the world'],
      [a, 'the world'],
    ] as const) {
      const completion = await ask('tiny', system, user);
      assert.ok(
        cachedOf(completion) > completion.usage!.prompt_tokens * 0.8,
        `${cachedOf(completion)} of ${completion.usage!.prompt_tokens} cached`,
      );
    }
  });

  test('prompt_cache_key keeps a conversation on the sequence it last used, over a longer shared prefix elsewhere', async () => {
    const [a, b] = [prefix('canal'), prefix('island')];
    // Side by side, so each holds a sequence: the keyed one holds a's prefix, the other b's.
    await Promise.all([
      ask('tiny', a, 'hi', { prompt_cache_key: 'conversation-1' }),
      ask('tiny', b, 'hi'),
    ]);
    const keyed = await ask('tiny', b, 'hello', { prompt_cache_key: 'conversation-1' });
    assert.ok(
      cachedOf(keyed) < keyed.usage!.prompt_tokens * 0.2,
      `the keyed sequence held a's prefix, not b's (${cachedOf(keyed)} cached)`,
    );
    const unkeyed = await ask('tiny', a, 'hello');
    assert.ok(
      cachedOf(unkeyed) < unkeyed.usage!.prompt_tokens * 0.2,
      'a was replaced on the keyed sequence',
    );
  });

  test('cached tokens are priced at cache_input', async () => {
    const shared = prefix('piazza');
    await ask('tiny', shared, 'hi');
    const completion = (await ask('tiny', shared, 'you')) as Completion & { cost: { usd: number } };
    const { prompt_tokens: prompt, completion_tokens: output } = completion.usage!;
    const cached = cachedOf(completion);
    assert.ok(cached > 0);
    const expected =
      ((prompt - cached) * PRICING.input.usd +
        cached * PRICING.cache_input.usd +
        output * PRICING.output.usd) /
      1e6;
    assert.equal(completion.cost.usd, Math.round(expected * 1e12) / 1e12);
  });
});
