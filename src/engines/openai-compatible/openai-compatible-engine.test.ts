// The OpenAI-compatible engine's stream in batches, against a real HTTP/2 chat server on 127.0.0.1 (the double of
// bench:fanout's upstream, which writes the rest of an answer in one write): the events of one body piece come out
// in one batch, the usage last, and the events are streamChat's, in order.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  http2ChatText,
  startHttp2ChatServer,
  type Http2ChatServer,
} from '../../../test/support/upstream/http2-chat-server.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../../../test/support/upstream/upstream-replay-server.ts';
import { openAiCompatibleEngine } from '../../config/engine-config.ts';
import type { EngineChatEvent, EngineChatRequest } from '../engine.ts';
import { OpenAiCompatibleEngine } from './openai-compatible-engine.ts';

const CHUNKS = 12;
const REQUEST: EngineChatRequest = {
  model: 'h2-upstream',
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
  n: 1,
};

describe('OpenAI-compatible engine, streamed in batches', () => {
  let upstream: Http2ChatServer;
  let engine: OpenAiCompatibleEngine;

  before(async () => {
    upstream = await startHttp2ChatServer({ chunks: CHUNKS });
    engine = new OpenAiCompatibleEngine(
      openAiCompatibleEngine.parse({
        kind: 'openai-compatible',
        model: 'h2-upstream',
        endpoints: [{ url: upstream.url, http2: true, caFile: upstream.certFile }],
      }),
    );
  });
  after(async () => {
    await engine.close();
    await upstream.close();
  });

  const text = (events: readonly EngineChatEvent[]): string =>
    events.map((event) => (event.type === 'content' ? event.text : '')).join('');

  it("hands on one piece's events in one batch, the usage in the last", async () => {
    const batches: (readonly EngineChatEvent[])[] = [];
    for await (const batch of engine.streamChatBatches(REQUEST, {
      signal: new AbortController().signal,
    }))
      batches.push(batch);
    const events = batches.flat();
    assert.equal(text(events), http2ChatText(CHUNKS));
    assert.ok(
      batches.some((batch) => batch.filter((event) => event.type === 'content').length === CHUNKS),
      `every content event of the one write in one batch: ${batches.map((batch) => batch.length)}`,
    );
    assert.ok(batches.every((batch) => batch.length > 0));
    assert.deepEqual(events.at(-1), {
      type: 'usage',
      usage: { promptTokens: 12, completionTokens: 8 },
    });
    assert.equal(events.filter((event) => event.type === 'usage').length, 1);
  });

  it('streamChat hands on the same events one at a time', async () => {
    const events: EngineChatEvent[] = [];
    for await (const event of engine.streamChat(REQUEST, { signal: new AbortController().signal }))
      events.push(event);
    assert.equal(text(events), http2ChatText(CHUNKS));
    assert.equal(events.at(-1)?.type, 'usage');
  });
});

describe('OpenAI-compatible engine on a Unix socket (endpoint socketPath)', () => {
  let folder: string;
  let upstream: ReplayServer;
  let engine: OpenAiCompatibleEngine;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-uds-'));
    upstream = await startReplayServer({ flavor: 'vllm', socketPath: join(folder, 'vllm.sock') });
    engine = new OpenAiCompatibleEngine(
      openAiCompatibleEngine.parse({
        kind: 'openai-compatible',
        model: 'served-model',
        endpoints: [{ url: 'http://localhost/v1', socketPath: join(folder, 'vllm.sock') }],
      }),
    );
  });
  after(async () => {
    await engine.close();
    await upstream.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('streams an answer and checks health through the socket, with no port opened', async () => {
    const events: EngineChatEvent[] = [];
    for await (const event of engine.streamChat(
      { ...REQUEST, model: 'served-model', messages: [{ role: 'user', content: '#plain hi' }] },
      { signal: new AbortController().signal },
    ))
      events.push(event);
    assert.ok(events.some((event) => event.type === 'content' && event.text !== ''));
    assert.equal(events.at(-1)?.type, 'usage');
    assert.equal(upstream.requests.at(-1)?.path, '/v1/chat/completions');
    assert.equal(upstream.port, 0);
    assert.equal((await engine.checkHealth(new AbortController().signal)).healthy, true);
  });
});
