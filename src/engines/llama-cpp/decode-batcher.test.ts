// Concurrent chats on one context decode together: every generation step of 4 chats on 4 sequences enters
// node-llama-cpp's queue at once, in sequence-id order (one pass over the weights in llama.cpp), and a chat that
// ends or starts late never holds the others up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelPath } from '../../../test/fixtures/tiny-gguf.ts';
import { parseConfig } from '../../config.ts';
import type { EngineChatEvent, EngineChatRequest } from '../engine.ts';
import type { LlamaCppEngine } from './llama-cpp-engine.ts';
import { LlamaCppRuntime } from './llama-cpp-runtime.ts';

const TOKENS = 24;

const chat = (content: string, maxTokens = TOKENS): EngineChatRequest => ({
  model: 'tiny',
  messages: [{ role: 'user', content }],
  maxTokens,
  temperature: 0,
  stream: true,
  n: 1,
});

async function run(engine: LlamaCppEngine, request: EngineChatRequest): Promise<string> {
  let text = '';
  const events: AsyncGenerator<EngineChatEvent> = engine.streamChat(request, {
    signal: new AbortController().signal,
  });
  for await (const event of events)
    if (event.type === 'content') text += event.text;
    else if (event.type === 'finish') text += `[${event.reason}]`;
  return text;
}

describe('DecodeBatcher on the tiny GGUF, 4 sequences', () => {
  const runtime = new LlamaCppRuntime({ warn: () => undefined, error: () => undefined });
  let engine: LlamaCppEngine;

  before(async () => {
    const config = parseConfig({
      discoverModels: false,
      models: [
        {
          id: 'tiny',
          engine: { kind: 'llama-cpp', path: await tinyModelPath(), threads: 1, sequences: 4 },
          contextLength: 1024,
        },
      ],
    });
    engine = await runtime.loadEngine(config.models[0]!, await tinyModelPath());
  });
  after(async () => {
    await engine.close();
    await runtime.close();
  });

  test('4 concurrent chats: each generation step releases the 4 sequences together', async () => {
    engine.batcher!.releases.clear();
    const texts = await Promise.all(
      ['Tell me about the weather', 'Say hello', 'Count to ten', 'What is a cat'].map((content) =>
        run(engine, chat(content)),
      ),
    );
    const releases = Object.fromEntries(engine.batcher!.releases);
    // TOKENS steps of 4, and the prompts (together, or one by one as their chats start).
    assert.ok((releases[4] ?? 0) >= TOKENS - 1, JSON.stringify(releases));
    assert.equal(texts.length, 4);
    for (const text of texts) assert.ok(text.length > 0);
  });

  test('a chat that ends early does not hold up the others', async () => {
    engine.batcher!.releases.clear();
    const texts = await Promise.all([
      run(engine, chat('Say hello', 2)),
      run(engine, chat('Count to ten', TOKENS)),
      run(engine, chat('What is a cat', TOKENS)),
    ]);
    assert.equal(texts.length, 3);
    const releases = Object.fromEntries(engine.batcher!.releases);
    // After the short one ends, the two others go on together.
    assert.ok((releases[2] ?? 0) >= TOKENS - 4, JSON.stringify(releases));
  });

  test('grammar-constrained and tool-forced chats (decodes of several tokens) finish beside plain ones', async () => {
    const tool = {
      type: 'function' as const,
      function: {
        name: 'weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    };
    const answers = await Promise.all([
      run(engine, chat('Say hello')),
      run(engine, { ...chat('Give me JSON'), responseFormat: { type: 'json_object' } }),
      run(engine, { ...chat('Weather in Paris?'), tools: [tool], toolChoice: 'required' }),
      run(engine, chat('Count to ten', 4)),
    ]);
    for (const answer of answers) assert.match(answer, /\[(length|stop|tool_calls)\]$/);
  });
});
