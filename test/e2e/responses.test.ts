// End-to-end: POST /responses (stateless Responses API) through the official openai client's `responses`
// API, on the embedded llama.cpp engine (the suite's tiny GGUF) and on a replayed vLLM upstream.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import {
  bodyOf,
  chatModel,
  hostOf,
  lastRequest,
  PRICING,
  postJson,
  useReplayRialto,
} from './upstream-support.ts';

type Response = OpenAI.Responses.Response;
type StreamEvent = OpenAI.Responses.ResponseStreamEvent;

function validate(body: unknown, status = 200): void {
  validateResponse({ method: 'POST', path: '/responses', status, body });
}

/** The text of every output_text part of a response's message items. */
function textOf(response: Response): string {
  return response.output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Event types in order, runs of the same delta type collapsed to one. */
function shapeOf(events: StreamEvent[]): string[] {
  return events
    .map((event) => event.type)
    .filter((type, index, types) => !(type.endsWith('.delta') && types[index - 1] === type));
}

function completedOf(events: StreamEvent[]): Response {
  const last = events.at(-1);
  assert.equal(last?.type, 'response.completed');
  return last.response;
}

/** `event:` name and parsed `data:` of every SSE event of a raw body. */
function sseEvents(text: string): { event: string | undefined; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length);
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
        .join('\n');
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe('POST /responses on the embedded llama.cpp engine', () => {
  let rialto: TestRialto;
  const ask = { model: 'tiny', input: 'Hello there', max_output_tokens: 12, temperature: 0 };

  before(async () => {
    rialto = await startRialto({
      systemPrompt: 'You are a test.',
      models: [
        {
          id: 'tiny',
          name: 'Tiny Llama',
          engine: { kind: 'llama-cpp', path: await tinyModelPath(), threads: 1, sequences: 2 },
          contextLength: 2048,
          pricing: PRICING,
        },
      ],
    });
  });
  after(async () => rialto.close());

  test('a string input answers what the same chat completion answers: text, usage and cost', async () => {
    const chat = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_completion_tokens: 12,
      temperature: 0,
    });
    const { data: response, response: http } = await rialto.client.responses
      .create(ask)
      .withResponse();
    validate(response);
    assert.match(response.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(response.object, 'response');
    assert.equal(response.model, 'tiny');
    assert.equal(response.status, 'completed');
    assert.deepEqual(
      response.output.map((item) => item.type),
      ['message'],
    );
    assert.equal(textOf(response), chat.choices[0]!.message.content);
    assert.equal(response.output_text, chat.choices[0]!.message.content);
    const { input_tokens_details: cache, ...usage } = response.usage!;
    assert.deepEqual(usage, {
      input_tokens: chat.usage!.prompt_tokens,
      output_tokens: chat.usage!.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: chat.usage!.total_tokens,
    });
    // The chat completion just before left this prompt in a sequence: llama.cpp reuses it.
    assert.ok(
      cache.cached_tokens > 0 && cache.cached_tokens < usage.input_tokens,
      `cached_tokens ${cache.cached_tokens}`,
    );
    const cost = (response as unknown as { cost: { usd: number; diem: number } }).cost;
    assert.deepEqual(cost, {
      usd:
        (usage.input_tokens * PRICING.input.usd + usage.output_tokens * PRICING.output.usd) / 1e6,
      diem: 0,
    });
    assert.equal(http.headers.get('x-venice-model-id'), 'tiny');
    assert.equal(http.headers.get('x-venice-model-router'), 'llama-cpp');
  });

  test('max_output_tokens caps the output: status completed, incomplete_details says max_output_tokens', async () => {
    // The tiny model never stops on its own, so every answer ends at the cap.
    const response = await rialto.client.responses.create({ ...ask, max_output_tokens: 3 });
    validate(response);
    assert.equal(response.usage?.output_tokens, 3);
    assert.equal(response.status, 'completed');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
  });

  test('instructions and typed message items become the chat messages they stand for', async () => {
    const response = await rialto.client.responses.create({
      model: 'tiny',
      max_output_tokens: 8,
      temperature: 0,
      instructions: 'Answer in French.',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Good ' },
            { type: 'input_text', text: 'morning' },
          ],
        },
      ],
    });
    validate(response);
    const chat = await rialto.client.chat.completions.create({
      model: 'tiny',
      max_completion_tokens: 8,
      temperature: 0,
      messages: [
        { role: 'system', content: 'Answer in French.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Good ' },
            { type: 'text', text: 'morning' },
          ],
        },
      ],
    });
    assert.equal(textOf(response), chat.choices[0]!.message.content);
    assert.equal(response.usage?.input_tokens, chat.usage?.prompt_tokens);
    const plain = await rialto.client.responses.create({
      model: 'tiny',
      max_output_tokens: 8,
      temperature: 0,
      input: 'Good morning',
    });
    assert.notEqual(
      plain.usage?.input_tokens,
      response.usage?.input_tokens,
      'the instructions reach the prompt',
    );
  });

  test("a stream: OpenAI's events in order, numbered from 0, whose deltas and response.completed match the JSON answer", async () => {
    const json = await rialto.client.responses.create(ask);
    const events = await collect(await rialto.client.responses.create({ ...ask, stream: true }));
    assert.deepEqual(shapeOf(events), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const deltas = events.flatMap((event) =>
      event.type === 'response.output_text.delta' ? [event.delta] : [],
    );
    assert.equal(deltas.join(''), textOf(json));
    const created = events[0];
    assert.ok(created?.type === 'response.created');
    assert.equal(created.response.status, 'in_progress');
    validate(created.response);
    const completed = completedOf(events);
    validate(completed);
    assert.equal(completed.id, created.response.id);
    assert.equal(textOf(completed), textOf(json));
    const withoutCache = ({
      input_tokens_details: _cache,
      ...usage
    }: OpenAI.Responses.ResponseUsage): object => usage;
    assert.deepEqual(withoutCache(completed.usage!), withoutCache(json.usage!));
    const added = events.find((event) => event.type === 'response.output_item.added');
    assert.ok(added?.type === 'response.output_item.added');
    assert.equal(added.item.id, completed.output[0]?.id);
  });

  test('responses.stream(): finalResponse() is the completed response; the wire has event names and no [DONE]', async () => {
    const final = await rialto.client.responses.stream(ask).finalResponse();
    validate(final);
    assert.equal(final.status, 'completed');
    assert.equal(final.output_text, textOf(await rialto.client.responses.create(ask)));
    const raw = await postJson(rialto, '/responses', { ...ask, stream: true });
    assert.equal(raw.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await raw.text();
    assert.ok(!text.includes('[DONE]'));
    const events = sseEvents(text);
    assert.ok(events.length > 5);
    for (const { event, data } of events) assert.equal(event, data.type);
  });

  test('bodies are not strict, but what Rialto cannot serve is a 400 with details', async () => {
    const loose = await postJson(rialto, '/responses', {
      ...ask,
      store: false,
      metadata: { a: 'b' },
      not_a_field: 1,
    });
    assert.equal(loose.status, 200);
    validate(await loose.json());
    const refused: [string, Record<string, unknown>][] = [
      ['item_reference', { ...ask, input: [{ type: 'item_reference', id: 'msg_1' }] }],
      ['previous_response_id', { ...ask, previous_response_id: 'resp_1' }],
      [
        'a built-in tool',
        { ...ask, tools: [{ type: 'code_interpreter', container: { image: 'python' } }] },
      ],
      ['no input', { model: 'tiny' }],
      ['max_output_tokens 0', { ...ask, max_output_tokens: 0 }],
      ['a bad function name', { ...ask, tools: [{ type: 'function', name: 'get weather' }] }],
    ];
    for (const [what, body] of refused) {
      const response = await postJson(rialto, '/responses', body);
      assert.equal(response.status, 400, what);
      validate(await response.json(), 400);
    }
    const stateless = await postJson(rialto, '/responses', refused[0]![1]);
    assert.match(((await stateless.json()) as { error: string }).error, /stateless/);
  });
});

describe('POST /responses on a vLLM upstream (replayed)', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;
  const MODEL = 'upstream-chat';
  const WEATHER = {
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
  };
  const ASK_WEATHER = '#tool-call What is the weather in Paris?';
  const ASK_PRIME = '#reasoning-field Is 17 prime? Answer briefly.';
  const REASONING = '17 is not divisible by 2, 3 or 5, so it is prime.\n';

  useReplayRialto(
    (url) => ({
      models: [
        chatModel(MODEL, 'vllm', [url]),
        {
          ...chatModel('upstream-effort', 'vllm', [url]),
          capabilities: { supportsReasoning: true, supportsReasoningEffort: true },
        },
        { ...chatModel('upstream-e2ee', 'vllm', [url]), capabilities: { supportsE2EE: true } },
      ],
    }),
    (servers) => ({ replay, rialto } = servers),
  );

  test("a flat (OpenAI) function tool: a function_call item with the call id; the upstream gets chat's nested tool", async () => {
    const response = await rialto.client.responses.create({
      model: MODEL,
      input: ASK_WEATHER,
      tools: [{ type: 'function', strict: false, ...WEATHER }],
    });
    validate(response);
    assert.deepEqual(
      response.output.map((item) => item.type),
      ['function_call'],
    );
    const call = response.output[0];
    assert.ok(call?.type === 'function_call');
    assert.match(call.id ?? '', /^fc_[0-9a-f]{32}$/);
    assert.equal(call.call_id, 'chatcmpl-tool-5d1c9e2b7a3f4c60b8e4d2a1f0c9b8a7');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris', unit: 'celsius' });
    assert.equal(call.status, 'completed');
    const sent = bodyOf(lastRequest(replay));
    assert.deepEqual(sent.tools, [{ type: 'function', function: { ...WEATHER, strict: false } }]);
    assert.equal(response.usage?.output_tokens, 27);
  });

  test('the next turn: function_call and function_call_output items become assistant tool_calls and a tool message', async () => {
    const first = await rialto.client.responses.create({
      model: MODEL,
      input: ASK_WEATHER,
      tools: [{ type: 'function', strict: null, ...WEATHER }],
    });
    const call = first.output[0];
    assert.ok(call?.type === 'function_call');
    // The swagger's nested tool shape this time.
    const nested = [{ type: 'function', function: WEATHER }] as unknown as OpenAI.Responses.Tool[];
    const second = await rialto.client.responses.create({
      model: MODEL,
      tools: nested,
      tool_choice: 'auto',
      input: [
        { role: 'user', content: ASK_WEATHER },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '{"temperature":21}' },
      ],
    });
    validate(second);
    const messages = bodyOf(lastRequest(replay)).messages as Record<string, unknown>[];
    assert.deepEqual(
      messages.filter((message) => message.role !== 'system'),
      [
        { role: 'user', content: ASK_WEATHER },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: call.call_id,
              type: 'function',
              function: { name: 'get_weather', arguments: call.arguments },
            },
          ],
        },
        { role: 'tool', tool_call_id: call.call_id, content: '{"temperature":21}' },
      ],
    );
  });

  test('reasoning: a reasoning item (its text as the summary) before the message; reasoning_tokens within output_tokens', async () => {
    const response = await rialto.client.responses.create({ model: MODEL, input: ASK_PRIME });
    validate(response);
    assert.deepEqual(
      response.output.map((item) => item.type),
      ['reasoning', 'message'],
    );
    const reasoning = response.output[0] as unknown as {
      id: string;
      summary: string[];
      content: { type: string; text: string }[];
    };
    assert.match(reasoning.id, /^rs_/);
    assert.deepEqual(reasoning.summary, [REASONING]);
    assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: REASONING }]);
    assert.equal(textOf(response), '\n\nYes, 17 is prime.');
    assert.equal(response.usage?.output_tokens, 41);
    const reasoningTokens = response.usage?.output_tokens_details.reasoning_tokens ?? 0;
    assert.ok(reasoningTokens > 0 && reasoningTokens < 41, `reasoning_tokens ${reasoningTokens}`);
    assert.equal(response.incomplete_details, null);
    assert.equal(
      (response as unknown as { cost: { usd: number } }).cost.usd,
      (18 * PRICING.input.usd + 41 * PRICING.output.usd) / 1e6,
    );
  });

  test('reasoning.effort reaches the upstream as reasoning_effort; a model without effort support refuses it', async () => {
    await rialto.client.responses.create({
      model: 'upstream-effort',
      input: ASK_PRIME,
      reasoning: { effort: 'high', summary: 'auto' },
    });
    assert.equal(bodyOf(lastRequest(replay)).reasoning_effort, 'high');
    await assert.rejects(
      rialto.client.responses.create({
        model: MODEL,
        input: ASK_PRIME,
        reasoning: { effort: 'high' },
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );
  });

  test('a stream with reasoning then text: the events in order, and response.completed equals the JSON answer', async () => {
    const json = await rialto.client.responses.create({ model: MODEL, input: ASK_PRIME });
    const events = await collect(
      await rialto.client.responses.create({ model: MODEL, input: ASK_PRIME, stream: true }),
    );
    assert.deepEqual(shapeOf(events), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const reasoningDeltas = events.flatMap((event) =>
      event.type === 'response.reasoning_summary_text.delta' ? [event.delta] : [],
    );
    assert.deepEqual(reasoningDeltas, [
      '17 is not',
      ' divisible by 2, 3',
      ' or 5, so it is prime.\n',
    ]);
    const outputIndexes = events.flatMap((event) =>
      'output_index' in event ? [event.output_index] : [],
    );
    assert.deepEqual([...new Set(outputIndexes)], [0, 1]);
    const completed = completedOf(events);
    validate(completed);
    assert.deepEqual(
      completed.output.map(({ id: _id, ...item }) => item),
      json.output.map(({ id: _id, ...item }) => item),
    );
    assert.deepEqual(completed.usage, json.usage);
    assert.deepEqual(
      (completed as unknown as { cost: unknown }).cost,
      (json as unknown as { cost: unknown }).cost,
    );
    // OpenAI's stream helper accumulates the same events into the same response.
    const final = await rialto.client.responses
      .stream({ model: MODEL, input: ASK_PRIME })
      .finalResponse();
    assert.deepEqual(
      final.output.map((item) => item.type),
      ['reasoning', 'message'],
    );
    assert.equal(final.output_text, textOf(json));
  });

  test('a streamed tool call: argument deltas, then .done with the whole arguments; finalResponse() holds the call', async () => {
    const stream = rialto.client.responses.stream({
      model: MODEL,
      input: ASK_WEATHER,
      tools: [{ type: 'function', strict: false, ...WEATHER }],
    });
    const events: StreamEvent[] = [];
    stream.on('event', (event) => events.push(event));
    const final = await stream.finalResponse();
    validate(final);
    const deltas = events.flatMap((event) =>
      event.type === 'response.function_call_arguments.delta' ? [event.delta] : [],
    );
    assert.deepEqual(deltas, ['{"city": "', 'Paris', '", "unit": "', 'celsius', '"}']);
    const done = events.find((event) => event.type === 'response.function_call_arguments.done');
    assert.ok(done?.type === 'response.function_call_arguments.done');
    assert.equal(done.arguments, deltas.join(''));
    assert.equal(done.name, 'get_weather');
    const call = final.output[0];
    assert.ok(call?.type === 'function_call' && final.output.length === 1);
    assert.equal(call.call_id, 'chatcmpl-tool-5d1c9e2b7a3f4c60b8e4d2a1f0c9b8a7');
    assert.equal(call.arguments, deltas.join(''));
    assert.equal(call.id, done.item_id);
  });

  test('an upstream failure after the first event: one error event ends the stream, and the openai client throws', async () => {
    const raw = await postJson(rialto, '/responses', {
      model: MODEL,
      input: '#midstream-error Hello',
      stream: true,
    });
    assert.equal(raw.status, 200);
    assert.equal(
      raw.headers.get('x-venice-model-router'),
      `openai-compatible/${hostOf(replay.url)}`,
    );
    const events = sseEvents(await raw.text());
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.equal(last.data.code, 'INFERENCE_FAILED');
    assert.equal(typeof last.data.message, 'string');
    assert.equal(last.data.sequence_number, events.length - 1);
    assert.ok(!events.some((event) => event.event === 'response.completed'));
    assert.ok(events.some((event) => event.event === 'response.output_text.delta'));
    const stream = await rialto.client.responses.create({
      model: MODEL,
      input: '#midstream-error Hello',
      stream: true,
    });
    await assert.rejects(collect(stream), (error: unknown) => error instanceof OpenAI.APIError);
  });

  test('a plain answer ends with incomplete_details null; web_search, and E2EE models, are refused with 400', async () => {
    const plain = await rialto.client.responses.create({
      model: MODEL,
      input: '#plain Say hello in five words.',
    });
    validate(plain);
    assert.equal(plain.output_text, 'Hello there, nice to meet!');
    assert.equal(plain.incomplete_details, null);
    for (const body of [
      { model: MODEL, input: '#plain Hi', tools: [{ type: 'web_search' }] },
      { model: MODEL, input: '#plain Hi', web_search: true },
      { model: 'upstream-e2ee', input: '#plain Hi' },
    ]) {
      const response = await postJson(rialto, '/responses', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      validate(await response.json(), 400);
    }
  });
});
