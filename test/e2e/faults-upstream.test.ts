// Issue #10: an upstream that dies mid-stream, answers garbage or hangs. The client sees a Venice error (a status
// before the first byte, one error event after it), the server keeps serving, and the books add up: nothing is
// charged for what failed, nothing is left reserved. (Failover between endpoints and the client side of a dropped
// stream on free models are upstream-failover.test.ts's.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { validateChatCompletionChunk } from '../support/spec/spec-validator.ts';
import {
  contentChunk,
  healthyAnswer,
  startFaultUpstream,
  type FaultHandler,
  type FaultUpstream,
} from '../support/upstream/fault-upstream.ts';
import { postJson, sseData } from './upstream-support.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };
const INFERENCE_FAILED = {
  message: 'Inference processing failed',
  code: 'INFERENCE_FAILED',
  status: 500,
};
const TIMED_OUT_MESSAGE =
  'The request took too long to complete and was timed-out. For long-running inference requests, use the streaming API by setting `stream=true` in your request.';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function chat(model: string, stream: boolean): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 64, stream };
}

/** An HTML error page, as nginx in front of a dead upstream answers. */
const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
/** Bytes that are no text format at all. */
const BINARY = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 37 + 11) % 256));

function answer(status: number, contentType: string, body: string | Buffer): FaultHandler {
  return (_request, response) => {
    response
      .writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
      .end(body);
  };
}

/** Streams the chunks, a little apart (so each reaches Rialto on its own), then runs `then`. */
function streamThen(chunks: string[], then: (response: ServerResponse) => void): FaultHandler {
  return async (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of chunks) {
      response.write(chunk);
      await sleep(30);
    }
    then(response);
  };
}

describe('faults of an upstream engine', () => {
  let upstream: FaultUpstream;
  let rialto: TestRialto;
  /** Requests sent to priced models: each must leave one usage record. */
  let paidRequests = 0;

  before(async () => {
    upstream = await startFaultUpstream();
    const model = (id: string, timeoutMs?: number): Record<string, unknown> => ({
      id,
      engine: {
        kind: 'openai-compatible',
        model: 'fault',
        endpoints: [{ url: upstream.url }],
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      },
      pricing: PRICING,
    });
    rialto = await startRialto(
      { systemPrompt: '', models: [model('paid'), model('paid-quick', 500)] },
      { balanceUsd: FUNDED_USD },
    );
  });
  after(async () => {
    await rialto?.close();
    await upstream?.close();
  });

  async function send(model: string, stream: boolean): Promise<Response> {
    paidRequests += 1;
    return postJson(rialto, '/chat/completions', chat(model, stream));
  }

  /** The stream's chunks (checked against the spec) and its last event, which must be an error. */
  async function failedStream(response: Response): Promise<{ content: string; error: unknown }> {
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sseData(await response.text());
    assert.ok(!events.includes('[DONE]'), 'no [DONE] after a failure');
    const chunks = events
      .slice(0, -1)
      .map((event) => JSON.parse(event) as { choices: { delta: { content?: string } }[] });
    for (const chunk of chunks) validateChatCompletionChunk(chunk);
    return {
      content: chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''),
      error: JSON.parse(events.at(-1) ?? '{}'),
    };
  }

  test('a healthy upstream is charged what it reports (the baseline of the books)', async () => {
    upstream.setHandler(healthyAnswer('All is well.'));
    for (const stream of [false, true]) {
      const response = await send('paid', stream);
      assert.equal(response.status, 200);
      const text = await response.text();
      if (stream) assert.equal(sseData(text).at(-1), '[DONE]');
    }
  });

  test('the upstream dies mid-stream: the chunks so far, one INFERENCE_FAILED event, the end; nothing charged', async () => {
    upstream.setHandler(
      streamThen([contentChunk('Once '), contentChunk('upon '), contentChunk('a ')], (response) =>
        response.socket?.destroy(),
      ),
    );
    const { content, error } = await failedStream(await send('paid', true));
    assert.equal(content, 'Once upon a ');
    assert.deepEqual(error, { error: INFERENCE_FAILED });

    // Non-streamed: the socket dies halfway through the body.
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': 400 });
      response.write('{"id":"chatcmpl-fault","object":"chat.completion","choices":[{"index":0,');
      setTimeout(() => response.socket?.destroy(), 30);
    });
    const cut = await send('paid', false);
    assert.equal(cut.status, 500);
    assert.deepEqual(await cut.json(), { error: INFERENCE_FAILED.message });
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records.slice(-2).map((record) => [record.status, record.amount]),
      [
        ['failed', 0],
        ['failed', 0],
      ],
    );
  });

  const garbage: { name: string; stream: boolean; handler: FaultHandler }[] = [
    {
      name: 'a body that is not JSON',
      stream: false,
      handler: answer(200, 'application/json', '{"id":"chatcmpl-x","choices":[{"message":'),
    },
    {
      name: 'JSON of another shape',
      stream: false,
      handler: answer(200, 'application/json', '{"hello":"world"}'),
    },
    { name: 'an HTML page under 200', stream: false, handler: answer(200, 'text/html', NGINX_502) },
    { name: 'an HTML page under 200', stream: true, handler: answer(200, 'text/html', NGINX_502) },
    {
      name: "a proxy's HTML 502 page",
      stream: false,
      handler: answer(502, 'text/html', NGINX_502),
    },
    { name: "a proxy's HTML 502 page", stream: true, handler: answer(502, 'text/html', NGINX_502) },
    {
      name: 'JSON where a stream was asked for',
      stream: true,
      handler: answer(
        200,
        'application/json',
        '{"choices":[{"index":0,"message":{"content":"hi"}}]}',
      ),
    },
    {
      name: 'binary bytes',
      stream: false,
      handler: answer(200, 'application/octet-stream', BINARY),
    },
    {
      name: 'binary bytes under text/event-stream',
      stream: true,
      handler: answer(200, 'text/event-stream', BINARY),
    },
    {
      name: 'an event that is not JSON',
      stream: true,
      handler: answer(200, 'text/event-stream', 'data: <<<~~~garbage~~~>>>\n\n'),
    },
    {
      name: 'a body shorter than its Content-Length',
      stream: false,
      handler: (_request, response) => {
        response
          .writeHead(200, { 'content-type': 'application/json', 'content-length': 500 })
          .write('{"choices":[]');
        setTimeout(() => response.destroy(), 30);
      },
    },
  ];

  test("garbage before the first event: 500 INFERENCE_FAILED in Venice's body, never a 200, nothing charged", async () => {
    for (const { name, stream, handler } of garbage) {
      upstream.setHandler(handler);
      const response = await send('paid', stream);
      assert.equal(response.status, 500, `${name} (stream ${stream})`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, name);
      assert.deepEqual(await response.json(), { error: INFERENCE_FAILED.message }, name);
    }
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records.slice(-garbage.length).map((record) => [record.status, record.amount]),
      garbage.map(() => ['failed', 0]),
    );
  });

  test('garbage after the first event (a truncated line, a line of bytes): the chunks so far, then one error event', async () => {
    const truncated =
      'data: {"id":"chatcmpl-fault","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo th';
    const endings: [string, (response: ServerResponse) => void][] = [
      ['a truncated line, then the end', (response) => response.end(truncated)],
      [
        'a truncated line, then a dead socket',
        (response) => {
          response.write(truncated);
          setTimeout(() => response.socket?.destroy(), 30);
        },
      ],
      [
        'a data line of bytes',
        (response) =>
          response.end(Buffer.concat([Buffer.from('data: '), BINARY, Buffer.from('\n\n')])),
      ],
    ];
    for (const [name, ending] of endings) {
      upstream.setHandler(streamThen([contentChunk('Hel')], ending));
      const { content, error } = await failedStream(await send('paid', true));
      assert.equal(content, 'Hel', name);
      assert.deepEqual(error, { error: INFERENCE_FAILED }, name);
    }
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records.slice(-endings.length).map((record) => record.status),
      endings.map(() => 'failed'),
    );
  });

  test('an upstream that accepts and never answers: 504 REQUEST_TIMEOUT at timeoutMs; silent mid-stream: a REQUEST_TIMEOUT event', async () => {
    upstream.setHandler(() => undefined);
    for (const stream of [false, true]) {
      const response = await send('paid-quick', stream);
      assert.equal(response.status, 504, `stream ${stream}`);
      assert.deepEqual(await response.json(), { error: TIMED_OUT_MESSAGE });
    }
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(contentChunk('Hel'));
    });
    const { content, error } = await failedStream(await send('paid-quick', true));
    assert.equal(content, 'Hel');
    assert.deepEqual(error, {
      error: { message: TIMED_OUT_MESSAGE, code: 'REQUEST_TIMEOUT', status: 504 },
    });
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records.slice(-3).map((record) => [record.status, record.amount]),
      [
        ['failed', 0],
        ['failed', 0],
        ['failed', 0],
      ],
    );
  });

  test('after all of it the server serves, and the books hold one record per request', async () => {
    upstream.setHandler(healthyAnswer('Back again.'));
    const health = await fetch(`${rialto.origin}/health`);
    assert.equal(health.status, 200);
    const completion = await rialto.client.chat.completions.create({
      model: 'paid',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 64,
    });
    paidRequests += 1;
    assert.equal(completion.choices[0]?.message.content, 'Back again.');
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.equal(records.length, paidRequests);
    assert.equal(
      records.filter((record) => record.status === 'completed').length,
      3,
      'the healthy answers, and only they, were charged',
    );
    for (const record of records)
      assert.equal(
        record.amount > 0,
        record.status === 'completed',
        `${record.status}: ${record.amount}`,
      );
  });
});
