// A model on the llama-server engine through the openai client: Rialto starts llama.cpp's server as its child and
// serves chat through it. Skipped, loudly, where llama-server is not built (scripts/build-llama-server.sh); under CI
// its test build is waited for, or built, and a failed build fails the file (llama-server-test-binary.ts).
// rialto-test: sqlite-only
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { tinyMmprojPath } from '../fixtures/tiny-mmproj-gguf.ts';
import { request } from 'undici';
import type { LlamaServerEngine } from '../../src/engines/llama-server/llama-server-engine.ts';
import { socketDispatcher } from '../../src/engines/llama-server/llama-server-launch.ts';
import { testLlamaServerBinary } from '../../src/engines/llama-server/llama-server-test-binary.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import { readSse } from '../support/read-sse.ts';

const binary = await testLlamaServerBinary();

describe('llama-server engine through the openai client', {
  skip: binary === undefined ? 'llama-server is not built (scripts/build-llama-server.sh)' : false,
}, () => {
  let rialto: TestRialto;

  before(async () => {
    rialto = await startRialto({
      // Only the test's messages reach llama-server, so the prompt caching test can tokenize them as it does.
      systemPrompt: '',
      models: [
        {
          id: 'tiny',
          engine: {
            kind: 'llama-server',
            path: await tinyModelPath(),
            binary,
            threads: 1,
            sequences: 2,
            contextSize: 1024,
          },
          traits: ['default'],
        },
        {
          id: 'tiny-vision',
          engine: {
            kind: 'llama-server',
            path: await tinyModelPath(),
            mmproj: await tinyMmprojPath(),
            binary,
            threads: 1,
            sequences: 1,
            contextSize: 1024,
          },
          capabilities: { supportsVision: true },
        },
      ],
    });
  });
  after(async () => rialto?.close());

  test('a completion validates against the spec, with the context llama-server gave each sequence', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 8,
      temperature: 0,
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    assert.ok((completion.choices[0]!.message.content ?? '').length > 0);
    assert.equal(completion.choices[0]!.finish_reason, 'length');
    assert.equal(completion.usage?.completion_tokens, 8);
    const listed = await rialto.client.models.list();
    assert.deepEqual(listed.data.map((model) => model.id).sort(), ['tiny', 'tiny-vision']);
    assert.equal(rialto.registry.entries[0]!.config.contextLength, 1024);
  });

  test('a stream validates chunk by chunk and carries the same text and usage as JSON', async () => {
    const request = {
      model: 'tiny',
      messages: [{ role: 'user' as const, content: 'Stream please' }],
      max_tokens: 10,
      temperature: 0,
    };
    const json = await rialto.client.chat.completions.create(request);
    const response = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(response.headers.get('x-venice-model-router'), 'llama-server');
    const events = await readSse(response);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map(
      (data) =>
        JSON.parse(data) as {
          choices: { delta: { content?: string } }[];
          usage?: { completion_tokens: number };
        },
    );
    for (const chunk of chunks) validateChatCompletionChunk(chunk);
    assert.equal(
      chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join(''),
      json.choices[0]!.message.content,
    );
    assert.equal(chunks.at(-1)!.usage?.completion_tokens, json.usage?.completion_tokens);
  });

  const image =
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

  test('a model with its projector reads an image part: the image adds its tokens to the prompt (tiny-mmproj-gguf.ts)', async () => {
    const ask = (
      content:
        | string
        | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[],
    ) =>
      rialto.client.chat.completions.create({
        model: 'tiny-vision',
        max_tokens: 4,
        temperature: 0,
        messages: [{ role: 'user', content }],
      });
    const plain = await ask('What is this?');
    const seeing = await ask([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: image } },
    ]);
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: seeing });
    assert.ok((seeing.choices[0]!.message.content ?? '').length > 0);
    // 28×28 pixels in 14-pixel patches: 4 image tokens, besides whatever marks the image in the prompt.
    assert.ok(
      seeing.usage!.prompt_tokens >= plain.usage!.prompt_tokens + 4,
      `${seeing.usage!.prompt_tokens} vs ${plain.usage!.prompt_tokens}`,
    );
  });

  test('/responses takes an input_image on the model with its projector', async () => {
    const ask = (
      content: (
        | { type: 'input_text'; text: string }
        | { type: 'input_image'; image_url: string; detail: 'auto' }
      )[],
    ) =>
      rialto.client.responses.create({
        model: 'tiny-vision',
        max_output_tokens: 4,
        temperature: 0,
        input: [{ role: 'user', content }],
      });
    const plain = await ask([{ type: 'input_text', text: 'What is this?' }]);
    const seeing = await ask([
      { type: 'input_text', text: 'What is this?' },
      { type: 'input_image', image_url: image, detail: 'auto' },
    ]);
    assert.ok(seeing.output_text.length > 0);
    assert.ok(
      seeing.usage!.input_tokens >= plain.usage!.input_tokens + 4,
      `${seeing.usage!.input_tokens} vs ${plain.usage!.input_tokens}`,
    );
  });

  test('an image part is refused for a model without vision, as for any text-only model', async () => {
    await assert.rejects(
      rialto.client.chat.completions.create({
        model: 'tiny',
        max_tokens: 4,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: image } },
            ],
          },
        ],
      }),
      { status: 400 },
    );
  });

  test('prompt caching: cached_tokens is exactly the prefix llama-server reused, counted in its own tokens', async () => {
    const engine = rialto.registry.entries.find((entry) => entry.config.id === 'tiny')!
      .engine as LlamaServerEngine;
    const child = socketDispatcher(engine.socketPath!);
    const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const answer = await request(`http://localhost${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        dispatcher: child,
      });
      return (await answer.body.json()) as Record<string, unknown>;
    };
    const system = Array.from({ length: 30 }, (_, index) =>
      index % 2 === 0 ? 'lagoon the world is' : 'hello you and lagoon.',
    ).join(' ');
    const messages = (user: string) => [
      { role: 'system' as const, content: system },
      { role: 'user' as const, content: user },
    ];
    /** The prompt's tokens as llama-server evaluates them: its chat template, then its tokenizer. */
    const tokensOf = async (user: string): Promise<number[]> => {
      const { prompt } = await post('/apply-template', { messages: messages(user) });
      const { tokens } = await post('/tokenize', {
        content: prompt,
        add_special: true,
        parse_special: true,
      });
      return tokens as number[];
    };
    const ask = (user: string) =>
      rialto.client.chat.completions.create({
        model: 'tiny',
        max_tokens: 4,
        temperature: 0,
        messages: messages(user),
      });
    const cachedOf = (completion: Awaited<ReturnType<typeof ask>>): number =>
      completion.usage!.prompt_tokens_details!.cached_tokens!;

    const first = await ask('hello world');
    const second = await ask('yes you');
    const again = await ask('yes you');
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: second });
    const [firstTokens, secondTokens] = await Promise.all([
      tokensOf('hello world'),
      tokensOf('yes you'),
    ]);
    assert.equal(first.usage!.prompt_tokens, firstTokens.length);
    assert.equal(second.usage!.prompt_tokens, secondTokens.length);
    let common = 0;
    while (firstTokens[common] !== undefined && firstTokens[common] === secondTokens[common])
      common += 1;
    assert.ok(common > secondTokens.length / 2, `${common} of ${secondTokens.length} shared`);
    assert.ok(cachedOf(first) < common, `a new prompt reuses little (${cachedOf(first)})`);
    // The second prompt lands on the slot that holds the first and reuses their common prefix, no more, no less.
    assert.equal(cachedOf(second), common);
    // The same prompt again: all of it but the last token, which is evaluated again for its logits.
    assert.equal(cachedOf(again), secondTokens.length - 1);
    assert.equal(again.choices[0]!.message.content, second.choices[0]!.message.content);
    await child.close();
  });
});
