// rialto-test: sqlite-only
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getLlama, LlamaChat } from 'node-llama-cpp';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import { readSse } from '../support/read-sse.ts';
import type { LlamaCppEngine } from '../../src/engines/llama-cpp/llama-cpp-engine.ts';

const SYSTEM_PROMPT = 'You are a test.';
const CONTEXT = 2048;

describe('llama-cpp engine through the openai client', () => {
  let rialto: TestRialto;
  let modelPath: string;

  before(async () => {
    modelPath = await tinyModelPath();
    rialto = await startRialto({
      systemPrompt: SYSTEM_PROMPT,
      models: [
        {
          id: 'tiny',
          name: 'Tiny Llama',
          engine: { kind: 'llama-cpp', path: modelPath, threads: 1, sequences: 2 },
          contextLength: CONTEXT,
          traits: ['default'],
          aliases: ['gpt-4o'],
        },
        {
          id: 'tiny-embed',
          type: 'embedding',
          engine: { kind: 'llama-cpp', path: modelPath, threads: 1 },
          contextLength: 256,
          embeddingDimensions: 64,
          supportsCustomDimensions: true,
        },
      ],
    });
  });
  after(async () => rialto.close());

  const engine = (): LlamaCppEngine => rialto.registry.entries[0]!.engine as LlamaCppEngine;

  test('models.list validates against the spec and lists the configured text model', async () => {
    const response = await fetch(`${rialto.baseURL}/models`);
    const body: unknown = await response.json();
    validateResponse({ method: 'GET', path: '/models', status: response.status, body });
    const listed = await rialto.client.models.list();
    assert.deepEqual(
      listed.data.map((model) => model.id),
      ['tiny'],
    );
  });

  test('a completion equals what node-llama-cpp generates directly from the same GGUF and prompt', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 12,
      temperature: 0,
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });

    const llama = await getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: CONTEXT, threads: 1 });
    try {
      const chat = new LlamaChat({ contextSequence: context.getSequence() });
      const tokens: number[] = [];
      const direct = await chat.generateResponse(
        [
          { type: 'system', text: SYSTEM_PROMPT },
          { type: 'user', text: 'Hello there' },
          { type: 'model', response: [] },
        ],
        { maxTokens: 12, temperature: 0, onToken: (chunk) => tokens.push(...chunk) },
      );
      const choice = completion.choices[0]!;
      assert.equal(choice.message.content, direct.response);
      assert.equal(completion.usage?.completion_tokens, tokens.length);
      assert.equal(
        choice.finish_reason,
        direct.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
      );
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });

  test('greedy decoding is deterministic, and a trait and an alias reach the same model', async () => {
    const ask = async (model: string): Promise<string | null> =>
      (
        await rialto.client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Count' }],
          max_tokens: 8,
          temperature: 0,
        })
      ).choices[0]!.message.content;
    const first = await ask('tiny');
    assert.equal(await ask('tiny'), first);
    assert.equal(await ask('default'), first);
    assert.equal(await ask('gpt-4o'), first);
  });

  test('a stream validates chunk by chunk, ends with [DONE] and carries the same text and usage as JSON', async () => {
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
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-venice-model-router'), 'llama-cpp');
    const events = await readSse(response);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map(
      (data) =>
        JSON.parse(data) as {
          id: string;
          choices: { delta: { content?: string; role?: string } }[];
          usage?: { completion_tokens: number };
        },
    );
    for (const chunk of chunks) validateChatCompletionChunk(chunk);
    assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1);
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    const text = chunks
      .flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ''))
      .join('');
    assert.equal(text, json.choices[0]!.message.content);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.completion_tokens, json.usage?.completion_tokens);
  });

  test('json_schema output parses and follows the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        mood: { type: 'string', enum: ['calm', 'busy'] },
        ok: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 },
      },
      required: ['mood', 'ok', 'tags'],
      additionalProperties: false,
    };
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Describe yourself as JSON' }],
      max_tokens: 80,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'self', strict: true, schema } },
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    assert.equal(completion.choices[0]!.finish_reason, 'stop');
    const value = JSON.parse(completion.choices[0]!.message.content ?? '') as {
      mood: string;
      ok: boolean;
      tags: string[];
    };
    assert.ok(['calm', 'busy'].includes(value.mood));
    assert.equal(typeof value.ok, 'boolean');
    assert.ok(Array.isArray(value.tags) && value.tags.every((tag) => tag === 'a' || tag === 'b'));
    assert.deepEqual(Object.keys(value).sort(), ['mood', 'ok', 'tags']);
  });

  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', maxLength: 12 },
          unit: { type: 'string', enum: ['c', 'f'] },
        },
        required: ['city', 'unit'],
      },
    },
  };
  const timeTool = {
    type: 'function' as const,
    function: {
      name: 'get_time',
      parameters: {
        type: 'object',
        properties: { zone: { type: 'string', enum: ['utc', 'local'] } },
        required: ['zone'],
      },
    },
  };

  test('tool_choice required returns a tool call with an id and JSON arguments that follow the parameters', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      max_tokens: 120,
      temperature: 0,
      tools: [weatherTool, timeTool],
      tool_choice: 'required',
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls?.[0];
    assert.ok(call !== undefined && call.type === 'function');
    assert.match(call.id, /^call_[0-9a-f]{24}$/);
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    if (call.function.name === 'get_weather')
      assert.ok(typeof args.city === 'string' && ['c', 'f'].includes(String(args.unit)));
    else assert.equal(call.function.name, 'get_time');
  });

  test('a named tool_choice forces that function, streamed as tool-call deltas', async () => {
    const stream = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'What time is it?' }],
      max_tokens: 40,
      temperature: 0,
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      stream: true,
    });
    const deltas: {
      index: number;
      id?: string;
      function?: { name?: string; arguments?: string };
    }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      validateChatCompletionChunk(chunk);
      for (const choice of chunk.choices) {
        deltas.push(...(choice.delta.tool_calls ?? []));
        finish = choice.finish_reason ?? finish;
      }
    }
    assert.equal(finish, 'tool_calls');
    assert.ok(deltas[0]?.id !== undefined);
    assert.equal(deltas[0]?.function?.name, 'get_time');
    const args = JSON.parse(deltas.map((delta) => delta.function?.arguments ?? '').join('')) as {
      zone: string;
    };
    assert.ok(['utc', 'local'].includes(args.zone));
  });

  test('a conversation with a tool call and its result continues, and tool_choice auto answers', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      max_tokens: 8,
      temperature: 0,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
      ],
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
  });

  test('n=2 returns two choices with their own indexes', async () => {
    const completion = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Two please' }],
      max_tokens: 4,
      temperature: 0,
      n: 2,
    });
    assert.deepEqual(
      completion.choices.map((choice) => choice.index),
      [0, 1],
    );
    assert.equal(completion.choices[0]!.message.content, completion.choices[1]!.message.content);
  });

  test('embeddings: float and base64 agree, order and determinism hold, the body validates', async () => {
    const input = ['first text', 'second text', 'first text'];
    const floats = await rialto.client.embeddings.create({
      model: 'tiny-embed',
      input,
      encoding_format: 'float',
    });
    validateResponse({ method: 'POST', path: '/embeddings', status: 200, body: floats });
    assert.deepEqual(
      floats.data.map((item) => item.index),
      [0, 1, 2],
    );
    const [a, b, c] = floats.data.map((item) => item.embedding);
    assert.deepEqual(a, c);
    assert.notDeepEqual(a, b);
    assert.ok((floats.usage.prompt_tokens ?? 0) > 0);
    for (const vector of [a!, b!])
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-6, 'embeddings are unit vectors');
    const raw = await fetch(`${rialto.baseURL}/embeddings`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'tiny-embed', input, encoding_format: 'base64' }),
    });
    const base64 = (await raw.json()) as { data: { embedding: string }[] };
    const decoded = base64.data.map((item) => {
      const bytes = Buffer.from(item.embedding, 'base64');
      return Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
    });
    decoded.forEach((vector, index) =>
      vector.forEach((value, position) =>
        assert.ok(Math.abs(value - floats.data[index]!.embedding[position]!) < 1e-6),
      ),
    );
  });

  test('dimensions shortens each vector to a unit vector of that size', async () => {
    const full = await rialto.client.embeddings.create({
      model: 'tiny-embed',
      input: 'shorter please',
    });
    const short = await rialto.client.embeddings.create({
      model: 'tiny-embed',
      input: 'shorter please',
      dimensions: 16,
    });
    const vector = short.data[0]!.embedding;
    assert.equal(vector.length, 16);
    assert.ok(full.data[0]!.embedding.length > 16);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-6);
    const head = full.data[0]!.embedding.slice(0, 16);
    const norm = Math.hypot(...head);
    vector.forEach((value, index) => assert.ok(Math.abs(value - head[index]! / norm) < 1e-6));
  });

  test('a client that disconnects mid-stream frees its sequence at once', async () => {
    const controller = new AbortController();
    const response = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: 'Talk for a long time' }],
        max_tokens: 400,
        temperature: 0,
        stream: true,
      }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    assert.equal(engine().load().active, 1);
    controller.abort();
    // The sequence must come back without waiting for the 400 tokens: poll a bounded number of turns.
    for (let turn = 0; turn < 500 && engine().load().active > 0; turn++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(engine().load().active, 0);
    const next = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Still there?' }],
      max_tokens: 2,
      temperature: 0,
    });
    assert.equal(next.choices.length, 1);
  });
});
