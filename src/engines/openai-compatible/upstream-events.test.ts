import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineChatEvent, EngineUsage } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { UpstreamChatStream } from './upstream-events.ts';

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
