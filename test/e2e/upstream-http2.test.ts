// rialto-test: sqlite-only
// End-to-end: an openai-compatible model whose upstream speaks HTTP/2 over TLS (endpoint `http2: true`, a private CA
// in `caFile`): many concurrent streams share one connection instead of taking a socket each.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { readSse } from '../support/read-sse.ts';
import {
  startHttp2ChatServer,
  type Http2ChatServer,
} from '../support/upstream/http2-chat-server.ts';

const MODEL = 'h2-chat';
const STREAMS = 20;

function modelConfig(
  upstream: Http2ChatServer,
  endpoint: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: MODEL,
    engine: {
      kind: 'openai-compatible',
      endpoints: [{ url: upstream.url, ...endpoint }],
      model: 'h2-upstream',
      maxConnections: 1,
      timeoutMs: 20_000,
    },
  };
}

async function chat(rialto: TestRialto, stream: boolean): Promise<Response> {
  return fetch(`${rialto.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rialto.inferenceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('openai-compatible upstream over HTTP/2', () => {
  let upstream: Http2ChatServer;
  let rialto: TestRialto;

  before(async () => {
    upstream = await startHttp2ChatServer({ chunks: 8, hold: true });
    rialto = await startRialto({
      models: [modelConfig(upstream, { http2: true, caFile: upstream.certFile })],
    });
  });
  after(async () => {
    await rialto.close();
    await upstream.close();
  });

  test(`${STREAMS} streams open at once over one connection (maxConnections 1), then all complete`, async () => {
    const responses = Array.from({ length: STREAMS }, () => chat(rialto, true));
    // Held by the upstream after their first chunk: all of them open together proves they share the one connection.
    await until(
      () => upstream.stats().open === STREAMS,
      `${STREAMS} open upstream streams (open: ${upstream.stats().open})`,
    );
    upstream.release();
    for (const response of await Promise.all(responses)) {
      assert.equal(response.status, 200);
      const events = await readSse(response);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map(
        (event) =>
          JSON.parse(event) as {
            model: string;
            choices: { delta?: { content?: string } }[];
            usage?: { completion_tokens: number } | null;
          },
      );
      assert.equal(
        chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
        upstream.text(8),
      );
      assert.ok(chunks.every((chunk) => chunk.model === MODEL));
      assert.equal(chunks.find((chunk) => chunk.usage != null)?.usage?.completion_tokens, 8);
    }
    const stats = upstream.stats();
    assert.deepEqual([...stats.versions], ['2.0']);
    assert.equal(stats.sessions, 1);
  });

  test('a JSON answer over the same connection', async () => {
    const response = await chat(rialto, false);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]?.message.content, upstream.text(8));
    assert.equal(upstream.stats().sessions, 1);
  });
});

describe('an HTTP/2 upstream whose certificate is not trusted', () => {
  test('without caFile the TLS handshake fails and the client gets a Venice error, not a hang or a crash', async () => {
    const upstream = await startHttp2ChatServer();
    const rialto = await startRialto({ models: [modelConfig(upstream, { http2: true })] });
    try {
      const response = await chat(rialto, false);
      assert.ok(response.status >= 500 && response.status < 600, `status ${response.status}`);
      const body = (await response.json()) as { error?: unknown };
      assert.equal(typeof body.error, 'string');
      assert.equal(upstream.stats().answered, 0);
    } finally {
      await rialto.close();
      await upstream.close();
    }
  });
});
