// An HTTP/2 endpoint's connections (http2-connections.ts) against a real HTTP/2 server over TLS on 127.0.0.1 that
// holds its streams open: requests made in one turn of the event loop all reach the upstream while a connection has
// room (undici's Pool left one of 6 queued on a full connection: bench:fanout's stall), and requests past every
// connection's room start as streams end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  http2ChatText,
  startHttp2ChatServer,
  type Http2ChatServer,
} from '../../../test/support/upstream/http2-chat-server.ts';
import { UpstreamEndpoint } from './upstream-endpoint.ts';

const CHUNKS = 4;
const BODY = JSON.stringify({
  model: 'h2-upstream',
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
});

async function until(condition: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HTTP/2 endpoint connections', () => {
  let upstream: Http2ChatServer;

  before(async () => {
    upstream = await startHttp2ChatServer({ chunks: CHUNKS, hold: true });
  });
  after(async () => {
    await upstream.close();
  });

  /** An endpoint of 2 connections of 4 streams, its first connection opened by one finished request. */
  async function warmEndpoint(): Promise<{
    endpoint: UpstreamEndpoint;
    send: () => Promise<string>;
  }> {
    const endpoint = new UpstreamEndpoint(
      upstream.url,
      undefined,
      1,
      undefined,
      { maxConnections: 2, timeoutMs: 20_000 },
      { http2: true, maxStreamsPerConnection: 4, caFile: upstream.certFile },
    );
    const send = async (): Promise<string> => {
      const response = await endpoint.pool.request({
        method: 'POST',
        path: `${endpoint.basePath}/chat/completions`,
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      assert.equal(response.statusCode, 200);
      return response.body.text();
    };
    upstream.release();
    await send();
    upstream.hold();
    return { endpoint, send };
  }

  /** The content of an SSE chat stream. */
  function content(text: string): string {
    return text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map(
        (event) =>
          (JSON.parse(event.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]
            ?.delta?.content ?? '',
      )
      .join('');
  }

  it('sends 6 requests of one turn on 2 connections of 4: none waits behind a full connection', async () => {
    const { endpoint, send } = await warmEndpoint();
    const before = upstream.stats().open;
    // One synchronous burst, as the requests of one turn reach the engine after a shared ledger batch.
    const answers = Array.from({ length: 6 }, () => send());
    await until(
      () => upstream.stats().open - before === 6,
      () => `${upstream.stats().open - before} of 6 streams open at the upstream`,
    );
    assert.deepEqual(endpoint.connections.stats, { running: 6, size: 6 });
    upstream.release();
    for (const text of await Promise.all(answers))
      assert.equal(content(text), http2ChatText(CHUNKS));
    await endpoint.pool.close();
  });

  it('holds requests past every connection’s room until streams end, then sends them', async () => {
    const { endpoint, send } = await warmEndpoint();
    const before = upstream.stats().open;
    const answers = Array.from({ length: 10 }, () => send());
    await until(
      () => upstream.stats().open - before === 8,
      () => `${upstream.stats().open - before} of 8 streams open at the upstream`,
    );
    assert.deepEqual(endpoint.connections.stats, { running: 8, size: 10 });
    upstream.release();
    const texts = await Promise.all(answers);
    assert.equal(texts.length, 10);
    for (const text of texts) assert.equal(content(text), http2ChatText(CHUNKS));
    assert.deepEqual(endpoint.connections.stats, { running: 0, size: 0 });
    await endpoint.pool.close();
  });
});
