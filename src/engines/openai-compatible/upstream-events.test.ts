import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineChatEvent, EngineUsage } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import {
  eventsOf,
  plainContentOf,
  UpstreamChatStream,
  type UpstreamCompletion,
} from './upstream-events.ts';

const content = (text: string): string =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;

test('every event of a piece comes out of one push, and the running usage counts them', () => {
  const running: EngineUsage = { promptTokens: 1, completionTokens: 0 };
  const stream = new UpstreamChatStream(running, () => '');
  const events = stream.push(content('abcd') + content('efgh') + content('ij'));
  assert.deepEqual(
    events.map((event) => (event.type === 'content' ? event.text : event.type)),
    ['abcd', 'efgh', 'ij'],
  );
  assert.equal(running.completionTokens, 3);
  assert.deepEqual(
    stream.push(
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 9 } })}\n\ndata: [DONE]\n\n${content('late')}`,
    ),
    [],
  );
  assert.deepEqual(stream.end(), []);
  assert.deepEqual(stream.usage, { promptTokens: 7, completionTokens: 9 });
});

test('an error event after text: the text is handed on first, then the failure is thrown', () => {
  const stream = new UpstreamChatStream({ promptTokens: 1, completionTokens: 0 }, (body) =>
    JSON.stringify(body),
  );
  const events: EngineChatEvent[] = stream.push(
    `${content('Hel')}error: {"message":"boom"}\n\n${content('never')}`,
  );
  assert.deepEqual(
    events.map((event) => event.type),
    ['content'],
  );
  assert.throws(
    () => stream.throwFailure(),
    (error) => error instanceof EngineError && /mid-stream/.test(error.message),
  );
  assert.throws(() => stream.push(content('more')), EngineError);
});

test('a body without a single event, or ending on half a JSON line, fails at the end', () => {
  assert.throws(
    () => new UpstreamChatStream({ promptTokens: 1, completionTokens: 0 }, () => '').end(),
    /without a single event/,
  );
  const stream = new UpstreamChatStream({ promptTokens: 1, completionTokens: 0 }, () => '');
  stream.push('data: {"choices":[{"delta":{"content":"lo');
  assert.throws(() => stream.end(), /not JSON/);
});

test('a plain text chunk is read without parsing, to the event JSON.parse makes; any other shape is not', () => {
  const head =
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m"';
  const plain = (index: string, content: string, logprobs = true): string =>
    `${head},"choices":[{"index":${index},"delta":{"content":"${content}"},${logprobs ? '"logprobs":null,' : ''}"finish_reason":null}]}`;
  for (const data of [
    plain('0', 'Hello'),
    plain('2', ' wor ld', false),
    plain('0', 'é€ 😀'),
    plain('0', ''),
    // The bench's and tests' HTTP/2 double: id, created, model, then object.
    '{"id":"chatcmpl-h2","created":1700000000,"model":"h2-upstream","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" from"},"finish_reason":null}]}',
    // llama.cpp's server: keys sorted, the choice's too.
    '{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi"}}],"created":1,"id":"chatcmpl-x","model":"q","system_fingerprint":"b1-abc","object":"chat.completion.chunk"}',
    '{"choices":[{"index":3,"delta":{"content":"only"},"finish_reason":null}]}',
  ]) {
    const events = eventsOf(JSON.parse(data) as UpstreamCompletion);
    const read = plainContentOf(data);
    assert.ok(read !== undefined, data);
    assert.deepEqual(read.text === '' ? [] : [read], events, data);
  }
  for (const data of [
    plain('0', 'a\\"b'),
    plain('0', 'a\\nb'),
    plain('0', 'tab\there'),
    plain('01', 'a'),
    plain('0', 'a').replace('"finish_reason":null', '"finish_reason":"stop"'),
    plain('0', 'a').replace('"content"', '"reasoning_content"'),
    plain('0', 'a').replace('1700000000', '01'),
    `${plain('0', 'a').slice(0, -1)},"usage":null}`,
    plain('0', 'a').replace('}]}', '},{"index":1,"delta":{"content":"b"},"finish_reason":null}]}'),
    plain('0', 'a').replace('"model":"m"', '"model":"m","usage":null'),
    plain('0', 'a').replace('"model":"m"', '"error":"x"'),
    plain('0', 'a').replace('"created":1700000000', '"created":"1"'),
    '{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi","role":"assistant"}}]}',
  ])
    assert.equal(plainContentOf(data), undefined, data);
});
