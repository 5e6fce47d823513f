// Issue #10: slow clients in both directions. One that trickles its request (slowloris) is cut off by the server's
// headers and request timeouts (server.headersTimeoutMs, requestTimeoutMs) while others are served; one that does not
// read its stream holds the stream back, all the way to the upstream, instead of making Rialto buffer it, and gets
// all of it once it reads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import {
  contentChunk,
  healthyAnswer,
  startFaultUpstream,
  usageChunkAndDone,
  type FaultUpstream,
} from '../support/upstream/fault-upstream.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };
/** The big stream: this many events of this much content, far more than the sockets between can hold. */
const EVENT_CONTENT = 'x'.repeat(256 * 1024);
const EVENTS = 512;
const TOTAL_CONTENT = EVENTS * EVENT_CONTENT.length;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Heap and buffers of this process (Rialto runs in it): what unbounded buffering would grow. Kernel socket buffers are not in it. */
function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

/** Opens a raw connection that sends `head`, then one more byte of `trickle` every 100 ms; resolves with what came back once the server closed it. */
function slowClient(
  port: number,
  head: string,
  trickle: string,
): { closed: Promise<{ received: string; trickled: number }>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let trickled = 0;
  socket.setEncoding('utf8');
  socket.on('data', (data: string) => {
    received += data;
  });
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => {
    if (socket.destroyed || trickled >= trickle.length) return;
    socket.write(trickle[trickled]!);
    trickled += 1;
  }, 100);
  // A hang guard, not a timing: the server's limits in these tests are 1 and 2 s.
  let guarded = false;
  const guard = setTimeout(() => {
    guarded = true;
    socket.destroy();
  }, 60_000);
  const closed = once(socket, 'close').then(() => {
    clearInterval(timer);
    clearTimeout(guard);
    assert.equal(guarded, false, 'the server never closed the connection');
    return { received, trickled };
  });
  return { closed, socket };
}

describe('slow clients', () => {
  let upstream: FaultUpstream;
  let rialto: TestRialto;
  let port: number;

  before(async () => {
    upstream = await startFaultUpstream();
    rialto = await startRialto(
      {
        systemPrompt: '',
        server: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
        models: [
          {
            id: 'paid',
            engine: {
              kind: 'openai-compatible',
              model: 'fault',
              endpoints: [{ url: upstream.url }],
            },
            pricing: PRICING,
          },
        ],
      },
      { balanceUsd: FUNDED_USD },
    );
    port = Number(new URL(rialto.origin).port);
  });
  after(async () => {
    await rialto?.close();
    await upstream?.close();
  });

  async function servedMeanwhile(): Promise<void> {
    assert.equal((await fetch(`${rialto.origin}/health`)).status, 200);
    const completion = await rialto.client.chat.completions.create({
      model: 'paid',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 64,
    });
    assert.equal(completion.choices[0]?.message.content, 'All is well.');
  }

  test('headers trickled a byte at a time: 408 and the connection closed (headersTimeoutMs), others served meanwhile', async () => {
    const never = 'x'.repeat(100_000);
    const slow = slowClient(
      port,
      `POST /api/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slowloris: `,
      never,
    );
    await servedMeanwhile();
    const { received, trickled } = await slow.closed;
    assert.match(
      received,
      /^HTTP\/1\.1 408 /,
      'the server answered 408 Request Timeout before closing',
    );
    assert.ok(trickled < never.length, 'the server closed the connection, not the client');
  });

  test('a body trickled a byte at a time: 408 and the connection closed (requestTimeoutMs), nothing reserved', async () => {
    const body = JSON.stringify({
      model: 'paid',
      messages: [{ role: 'user', content: 'y'.repeat(100_000) }],
      max_tokens: 64,
    });
    const head = [
      'POST /api/v1/chat/completions HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${rialto.inferenceKey}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      '',
    ].join('\r\n');
    const slow = slowClient(port, head, body);
    await servedMeanwhile();
    const { received, trickled } = await slow.closed;
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.ok(trickled < body.length, 'the server closed the connection, not the client');
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });

  test('a client that does not read: the stream stalls back to the upstream, memory stays bounded, and all of it arrives once read', async (t) => {
    let written = 0;
    let waiting = false;
    upstream.setHandler(async (request, response: ServerResponse) => {
      if (request.body.stream !== true) return healthyAnswer()(request, response);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let event = 0; event < EVENTS && !response.destroyed; event++) {
        const data = contentChunk(EVENT_CONTENT);
        written += data.length;
        if (!response.write(data)) {
          waiting = true;
          // The wait that loses is called off: its listeners (an 'error' one with each) would pile up on the response.
          const settled = new AbortController();
          await Promise.race([
            once(response, 'drain', { signal: settled.signal }),
            once(response, 'close', { signal: settled.signal }),
          ]).finally(() => settled.abort());
          waiting = false;
        }
      }
      response.write(contentChunk('', 'length'));
      response.end(usageChunkAndDone(16, 1000));
    });
    try {
      const before = memoryInUse();
      const body = JSON.stringify({
        model: 'paid',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 1000,
        stream: true,
        stream_options: { include_usage: true },
      });
      const client = httpRequest({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/api/v1/chat/completions',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
      });
      client.end(body);
      // Not reading: no 'data' listener, so Node stops reading the socket once its small buffer is full.
      const [response] = (await once(client, 'response')) as [IncomingMessage];
      assert.equal(response.statusCode, 200);

      // Stalled: the upstream waits for 'drain' and has written nothing more for a second (bounded polls).
      let still = 0;
      let seen = -1;
      for (let poll = 0; poll < 300 && still < 10; poll++) {
        await sleep(100);
        still = waiting && written === seen ? still + 1 : 0;
        seen = written;
      }
      assert.equal(
        still,
        10,
        `the upstream never stalled (wrote ${written} of ${TOTAL_CONTENT} bytes)`,
      );
      assert.ok(
        written < TOTAL_CONTENT / 2,
        `stalled after ${written} bytes of ${TOTAL_CONTENT}: only what the sockets between hold`,
      );
      const grown = memoryInUse() - before;
      t.diagnostic(
        `stalled after ${written} of ${TOTAL_CONTENT} bytes; heap and buffers grew by ${grown} bytes`,
      );
      assert.ok(
        grown < 96 * 1024 * 1024,
        `memory grew by ${grown} bytes while the client did not read`,
      );
      await servedMeanwhile();

      let bytes = 0;
      let tail = '';
      response.setEncoding('utf8');
      response.on('data', (data: string) => {
        bytes += data.length;
        tail = (tail + data).slice(-4096);
      });
      await once(response, 'end');
      assert.ok(bytes > TOTAL_CONTENT, `all the content arrived (${bytes} bytes)`);
      assert.match(tail, /"finish_reason":"length"/);
      assert.match(tail, /"completion_tokens":1000/);
      assert.ok(tail.endsWith('data: [DONE]\n\n'));
    } finally {
      upstream.setHandler(healthyAnswer());
    }
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      [records.at(-1)?.status, records.at(-1)?.completionTokens],
      ['completed', 1000],
    );
  });
});
