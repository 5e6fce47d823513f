// rialto-test: sqlite-only
// End-to-end against the replay upstreams: reasoning (reasoning_content / reasoning fields, inline
// <think>), strip_thinking_response (body and model suffix), json_schema pass-through and embeddings.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  loadRecordings,
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
  UPSTREAM_MODELS,
} from './upstream-support.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

const MODEL = 'upstream-thinker';
const EMBED = 'upstream-embed';
const ANSWER = 'Yes, 17 is prime.';
const REASONING = '17 is not divisible by 2, 3 or 5';

function reasoningOf(value: object | undefined): unknown {
  return (value as { reasoning_content?: unknown } | undefined)?.reasoning_content;
}

/** One completion, both ways: the non-stream message and the reassembled stream, each spec-checked. */
async function both(
  rialto: TestRialto,
  params: Params,
): Promise<{ mode: string; content: string; reasoning: unknown }[]> {
  const json = await rialto.client.chat.completions.create(params);
  validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: json });
  const message = json.choices[0]?.message;
  const stream = await rialto.client.chat.completions.create({ ...params, stream: true });
  const chunks: Chunk[] = [];
  for await (const chunk of stream) {
    validateChatCompletionChunk(chunk);
    chunks.push(chunk);
  }
  const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
  const streamedReasoning = deltas
    .map((delta) => reasoningOf(delta))
    .filter((text) => text !== undefined && text !== null);
  return [
    { mode: 'non-stream', content: message?.content ?? '', reasoning: reasoningOf(message) },
    {
      mode: 'stream',
      content: deltas.map((delta) => delta.content ?? '').join(''),
      reasoning: streamedReasoning.length === 0 ? null : streamedReasoning.join(''),
    },
  ];
}

function ask(model: string, text: string, extra: Record<string, unknown> = {}): Params {
  return { model, messages: [{ role: 'user', content: text }], ...extra } as Params;
}

for (const flavor of UPSTREAM_FLAVORS) {
  describe(`openai-compatible upstream reasoning and embeddings: ${flavor}`, () => {
    let replay: ReplayServer;
    let rialto: TestRialto;

    before(async () => {
      replay = await startReplayServer({ flavor });
      rialto = await startRialto({
        models: [chatModel(MODEL, flavor, [replay.url]), embeddingModel(EMBED, flavor, replay.url)],
      });
    });
    after(async () => {
      await rialto.close();
      await replay.close();
    });

    const recorded = new Set(loadRecordings(flavor).map((recording) => recording.match.key));
    for (const key of ['#reasoning', '#reasoning-field'].filter((candidate) =>
      recorded.has(candidate),
    )) {
      test(`${key} comes out as reasoning_content, the content clean`, async () => {
        for (const result of await both(
          rialto,
          ask(MODEL, `${key} Is 17 prime? Answer briefly.`),
        )) {
          assert.equal(typeof result.reasoning, 'string', result.mode);
          assert.match(
            result.reasoning as string,
            new RegExp(`^${REASONING}, so it is prime\\.\\s*$`),
            result.mode,
          );
          assert.equal(result.content.trim(), ANSWER, result.mode);
          assert.doesNotMatch(result.content, /think>|divisible/, result.mode);
        }
      });
    }

    test('inline <think> is split into reasoning_content and content', async () => {
      for (const result of await both(
        rialto,
        ask(MODEL, '#think-inline Is 17 prime? Answer briefly.'),
      )) {
        assert.equal(typeof result.reasoning, 'string', result.mode);
        assert.equal((result.reasoning as string).trim(), `${REASONING}.`, result.mode);
        assert.equal(result.content, ANSWER, result.mode);
      }
    });

    for (const key of ['#reasoning', '#think-inline']) {
      test(`${key}: strip_thinking_response drops reasoning (venice_parameters and model suffix)`, async () => {
        const requests = [
          ask(MODEL, `${key} Is 17 prime? Answer briefly.`, {
            venice_parameters: { strip_thinking_response: true },
          }),
          ask(`${MODEL}:strip_thinking_response=true`, `${key} Is 17 prime? Answer briefly.`),
        ];
        for (const params of requests) {
          for (const result of await both(rialto, params)) {
            const where = `${params.model} ${result.mode}`;
            assert.ok(
              result.reasoning === null || result.reasoning === undefined,
              `${where}: reasoning_content ${JSON.stringify(result.reasoning)}`,
            );
            assert.equal(result.content.trim(), ANSWER, where);
            assert.doesNotMatch(result.content, /think>|divisible/, where);
          }
        }
      });
    }

    test('json_schema response_format passes through to the upstream', async () => {
      const schema = {
        type: 'object',
        properties: { city: { type: 'string' }, country: { type: 'string' } },
        required: ['city', 'country'],
        additionalProperties: false,
      };
      const params = ask(MODEL, '#json-schema Give the capital of France as JSON.', {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'city_info', strict: true, schema },
        },
      });
      const results = await both(rialto, params);
      const upstreamBodies = replay.requests.slice(-2).map((request) => bodyOf(request));
      assert.deepEqual(
        upstreamBodies.map((body) => body.stream),
        [false, true],
      );
      for (const body of upstreamBodies) {
        const format = body.response_format as
          | { type?: unknown; json_schema?: { name?: unknown; schema?: unknown } }
          | undefined;
        assert.equal(format?.type, 'json_schema');
        assert.equal(format?.json_schema?.name, 'city_info');
        assert.deepEqual(format?.json_schema?.schema, schema);
      }
      for (const result of results)
        assert.deepEqual(
          JSON.parse(result.content),
          { city: 'Paris', country: 'France' },
          result.mode,
        );
    });

    test('embeddings: float, base64 (float32 LE, equal to the float answer) and the client default', async () => {
      const input = ['hello world', 'goodbye moon']; // distinct vectors from the replay (rotations 7 and 1)
      const { data: floats, response } = await rialto.client.embeddings
        .create({ model: EMBED, input, encoding_format: 'float' })
        .withResponse();
      validateResponse({ method: 'POST', path: '/embeddings', status: 200, body: floats });
      assertInferenceHeaders(
        response.headers,
        EMBED,
        EMBED,
        `openai-compatible/${hostOf(replay.url)}`,
      );
      assert.equal(floats.model, EMBED);
      assert.deepEqual(
        floats.data.map((item) => item.index),
        [0, 1],
      );
      const vectors = floats.data.map((item) => item.embedding);
      assert.ok(
        vectors.every(
          (vector) => vector.length > 0 && vector.every((value) => typeof value === 'number'),
        ),
      );
      assert.notDeepEqual(vectors[0], vectors[1]);
      const upstream = bodyOf(lastRequest(replay, '/v1/embeddings'));
      assert.equal(upstream.model, UPSTREAM_MODELS[flavor].embed);
      assert.deepEqual(upstream.input, input);

      const base64 = await rialto.client.embeddings.create({
        model: EMBED,
        input,
        encoding_format: 'base64',
      });
      assert.equal(base64.object, 'list');
      assert.equal(base64.model, EMBED);
      assert.deepEqual(base64.usage, floats.usage);
      const decoded = base64.data.map((item, position) => {
        assert.equal(item.object, 'embedding');
        assert.equal(item.index, position);
        const text: unknown = item.embedding;
        assert.equal(typeof text, 'string');
        const bytes = Buffer.from(text as string, 'base64');
        assert.equal(bytes.length % 4, 0);
        return Array.from({ length: bytes.length / 4 }, (_, at) => bytes.readFloatLE(at * 4));
      });
      assert.deepEqual(
        decoded,
        vectors.map((vector) => vector.map((value) => Math.fround(value))),
      );
      validateResponse({
        method: 'POST',
        path: '/embeddings',
        status: 200,
        body: {
          ...base64,
          data: base64.data.map((item, position) => ({ ...item, embedding: decoded[position] })),
        },
      });

      const byDefault = await rialto.client.embeddings.create({ model: EMBED, input });
      assert.deepEqual(
        byDefault.data.map((item) => item.embedding),
        decoded,
      );
    });
  });
}
