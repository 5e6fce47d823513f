// End-to-end: Rialto serving models from an OpenAI-compatible upstream (the replay server impersonating
// vLLM, llama.cpp's server and Ollama), driven with the official `openai` client and plain fetch.
// Reasoning, think tags, json_schema and embeddings are in upstream-reasoning.test.ts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  UPSTREAM_FLAVORS,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import {
  assertInferenceHeaders,
  bodyOf,
  chatModel,
  embeddingModel,
  hostOf,
  lastRequest,
  postJson,
  sseData,
  UPSTREAM_MODELS,
} from './upstream-support.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

const MODEL = 'upstream-chat';
const TOOLS: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the current weather for a city',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['city'],
      },
    },
  },
];

function validateJson(body: unknown): void {
  validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body });
}

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) {
    validateChatCompletionChunk(chunk);
    chunks.push(chunk);
  }
  return chunks;
}

function contentOf(chunks: Chunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

for (const flavor of UPSTREAM_FLAVORS) {
  describe(`openai-compatible upstream: ${flavor}`, () => {
    let replay: ReplayServer;
    let rialto: TestRialto;
    let router: string;
    const name = `${MODEL} (${flavor})`;

    before(async () => {
      replay = await startReplayServer({ flavor });
      rialto = await startRialto({
        models: [
          chatModel(MODEL, flavor, [replay.url]),
          embeddingModel('upstream-embed', flavor, replay.url),
        ],
      });
      router = `openai-compatible/${hostOf(replay.url)}`;
    });
    after(async () => {
      await rialto.close();
      await replay.close();
    });

    test('GET /models lists the upstream models and follows the spec', async () => {
      for (const query of ['', '?type=all']) {
        const response = await fetch(`${rialto.baseURL}/models${query}`);
        assert.equal(response.status, 200);
        const body = (await response.json()) as { data: { id: string }[] };
        validateResponse({ method: 'GET', path: '/models', status: 200, body });
        assert.deepEqual(
          body.data.map((model) => model.id),
          query === '' ? [MODEL] : [MODEL, 'upstream-embed'],
        );
      }
      const listed: string[] = [];
      for await (const model of rialto.client.models.list()) listed.push(model.id);
      assert.deepEqual(listed, [MODEL]);
    });

    test('non-stream chat: spec body, usage, cost, headers; the upstream gets its own model name', async () => {
      const { data, response } = await rialto.client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: '#plain hi' }] })
        .withResponse();
      validateJson(data);
      assert.equal(data.model, MODEL);
      assert.equal(data.choices[0]?.message.content, 'Hello there, nice to meet!');
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      assert.equal(data.usage?.prompt_tokens, 16);
      assert.equal(data.usage?.completion_tokens, 8);
      assert.equal(data.usage?.total_tokens, 24);
      const cost = (data as unknown as { cost?: { usd?: unknown; diem?: unknown } }).cost;
      assert.ok(typeof cost?.usd === 'number' && cost.usd > 0, `cost.usd: ${JSON.stringify(cost)}`);
      assertInferenceHeaders(response.headers, MODEL, name, router);
      const upstream = bodyOf(lastRequest(replay));
      assert.equal(upstream.model, UPSTREAM_MODELS[flavor].chat);
      assert.equal(upstream.stream, false);
      assert.equal(lastRequest(replay).recording, 'plain.json');
    });

    test('stream without include_usage: spec chunks, no usage chunk, but the upstream is asked for usage', async () => {
      const { data, response } = await rialto.client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: '#plain hi' }], stream: true })
        .withResponse();
      const chunks = await collect(data);
      assertInferenceHeaders(response.headers, MODEL, name, router);
      assert.equal(contentOf(chunks), 'Hello there, nice to meet!');
      assert.equal(
        chunks.filter((chunk) => chunk.usage !== undefined && chunk.usage !== null).length,
        0,
      );
      assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
      assert.ok(chunks.every((chunk) => chunk.model === MODEL));
      const upstream = bodyOf(lastRequest(replay));
      assert.equal(upstream.stream, true);
      assert.deepEqual(upstream.stream_options, { include_usage: true });
      assert.equal(lastRequest(replay).recording, 'plain.stream.usage.json');
    });

    test('stream with include_usage: a last chunk with usage and cost, empty choices', async () => {
      const stream = await rialto.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: '#plain hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await collect(stream);
      const last = chunks.at(-1) as (Chunk & { cost?: { usd?: unknown } }) | undefined;
      assert.deepEqual(last?.choices, []);
      assert.equal(last?.usage?.prompt_tokens, 16);
      assert.equal(last?.usage?.completion_tokens, 8);
      assert.ok(typeof last?.cost?.usd === 'number' && last.cost.usd > 0);
      assert.equal(
        chunks.filter((chunk) => chunk.usage !== undefined && chunk.usage !== null).length,
        1,
      );
      assert.equal(contentOf(chunks), 'Hello there, nice to meet!');
    });

    test('raw SSE: text/event-stream, every data event a spec chunk, ending with [DONE]', async () => {
      const response = await postJson(rialto, '/chat/completions', {
        model: MODEL,
        messages: [{ role: 'user', content: '#plain hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      assertInferenceHeaders(response.headers, MODEL, name, router);
      const events = sseData(await response.text());
      assert.equal(events.at(-1), '[DONE]');
      assert.equal(events.filter((event) => event === '[DONE]').length, 1);
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Chunk);
      for (const chunk of chunks) validateChatCompletionChunk(chunk);
      assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
      assert.equal(contentOf(chunks), 'Hello there, nice to meet!');
      assert.ok(chunks.at(-1)?.usage !== undefined);
    });

    test('tool call, non-stream: id, type function, valid JSON arguments, finish_reason tool_calls', async () => {
      const data = await rialto.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: '#tool-call What is the weather in Paris?' }],
        tools: TOOLS,
      });
      validateJson(data);
      const choice = data.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const calls = choice?.message.tool_calls ?? [];
      assert.equal(calls.length, 1);
      for (const call of calls) {
        assert.equal(call.type, 'function');
        assert.match(call.id, /\S/);
        if (call.type !== 'function') continue;
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'celsius' });
      }
      const upstreamTools = bodyOf(lastRequest(replay))
        .tools as OpenAI.Chat.Completions.ChatCompletionFunctionTool[];
      assert.equal(upstreamTools.length, 1);
      assert.equal(upstreamTools[0]?.function.name, 'get_weather');
      assert.deepEqual(upstreamTools[0]?.function.parameters, TOOLS[0]?.function.parameters);
    });

    test('tool call, stream: first fragment carries id and name, later ones only arguments', async () => {
      const stream = await rialto.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: '#tool-call What is the weather in Paris?' }],
        tools: TOOLS,
        stream: true,
      });
      const chunks = await collect(stream);
      const fragments = chunks.flatMap((chunk) =>
        chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? []),
      );
      assert.ok(fragments.length >= 1);
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      for (const fragment of fragments) {
        const existing = calls.get(fragment.index);
        if (existing === undefined) {
          assert.match(fragment.id ?? '', /\S/, 'the first fragment of a call has an id');
          assert.equal(fragment.type, 'function');
          assert.equal(fragment.function?.name, 'get_weather');
          calls.set(fragment.index, {
            id: fragment.id ?? '',
            name: fragment.function?.name ?? '',
            arguments: fragment.function?.arguments ?? '',
          });
        } else {
          assert.equal(fragment.id, undefined, 'later fragments carry no id');
          assert.equal(fragment.type, undefined, 'later fragments carry no type');
          assert.equal(fragment.function?.name, undefined, 'later fragments carry no name');
          existing.arguments += fragment.function?.arguments ?? '';
        }
      }
      assert.equal(calls.size, 1);
      assert.deepEqual(JSON.parse(calls.get(0)?.arguments ?? ''), {
        city: 'Paris',
        unit: 'celsius',
      });
      const finishes = chunks
        .flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason))
        .filter((reason) => reason !== null);
      assert.deepEqual(finishes, ['tool_calls']);
    });
  });
}
