// The one request-with-failover of every upstream engine, against real node:http servers on 127.0.0.1: the next
// endpoint before anything was handed on, none after; timeouts; malformed or broken answers as mapped errors.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { listenOnLoopback } from '../../../test/support/upstream/listen-on-loopback.ts';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { brokenAnswer } from './network-error.ts';
import { requestWithFailover, unread, type UpstreamExchange } from './request-with-failover.ts';
import { fieldsOf, jsonBody, readAnswer } from './upstream-answer.ts';
import { upstreamError } from './upstream-errors.ts';
import { UpstreamPool } from './upstream-pool.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A test upstream: answers with whatever `handler` is now, and counts the requests it got. */
async function upstream(): Promise<{
  url: string;
  requests: number;
  handler: Handler;
  stop: () => Promise<void>;
}> {
  const state = {
    url: '',
    requests: 0,
    handler: ((_request, response) => response.end('{}')) as Handler,
    stop: async () => undefined,
  };
  const server = createServer((request, response) => {
    state.requests += 1;
    request.resume();
    request.on('end', () => state.handler(request, response));
  });
  const { origin, stop } = await listenOnLoopback(server);
  return Object.assign(state, { url: `${origin}/v1`, stop });
}

const json =
  (status: number, body: string, type = 'application/json'): Handler =>
  (_request, response) => {
    response
      .writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      .end(body);
  };
/** Headers and part of the body, then the connection dies. */
const brokenBody: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': 400 });
  response.write('{"data":[');
  setTimeout(() => response.socket?.destroy(), 20);
};
const silent: Handler = () => undefined;

const call = (): EngineCall => ({ signal: new AbortController().signal });
const answerSchema = z.object({ data: z.array(z.number()) });
const exchange = {
  kind: 'test',
  path: '/things',
  body: jsonBody({ a: 1 }),
  accept: 'application/json',
  failure: upstreamError,
};
/** Reads a 2xx answer whole and keeps only the fields the schema declares; anything else is the upstream's failure. */
const parsed: UpstreamExchange<number[]> = {
  ...exchange,
  read: async (response, endpoint) => {
    const body = fieldsOf(answerSchema, await readAnswer(response));
    if (body === undefined)
      throw new EngineError('failed', `upstream ${endpoint.label} sent an unexpected body`, {
        retryable: false,
      });
    return body.data;
  },
};

const failsWith =
  (failure: string, retryable: boolean, status?: number) =>
  (error: unknown): boolean =>
    error instanceof EngineError &&
    error.failure === failure &&
    error.retryable === retryable &&
    error.options.status === status;

describe('requestWithFailover', () => {
  let first: Awaited<ReturnType<typeof upstream>>;
  let second: Awaited<ReturnType<typeof upstream>>;
  let closedUrl: string;
  const pools: UpstreamPool[] = [];
  const poolOf = (urls: string[], timeoutMs = 10_000): UpstreamPool => {
    const pool = new UpstreamPool({
      endpoints: urls.map((url, index) => ({
        url,
        weight: index === 0 ? 100 : 1,
        name: `e${index}`,
      })),
      timeoutMs,
      maxConnections: 4,
    });
    pools.push(pool);
    return pool;
  };

  before(async () => {
    [first, second] = await Promise.all([upstream(), upstream()]);
    const closed = await upstream();
    closedUrl = closed.url;
    await closed.stop();
  });
  beforeEach(() => {
    for (const server of [first, second]) {
      server.requests = 0;
      server.handler = json(200, '{"data":[1,2]}');
    }
  });
  after(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await Promise.all([first.stop(), second.stop()]);
  });

  it('a refused connection, a 429, a 503 and a 5xx move on to the next endpoint, which is named in servedBy', async () => {
    const context = call();
    const { answer, endpoint } = await requestWithFailover(
      poolOf([closedUrl, second.url]),
      parsed,
      context,
    );
    assert.deepEqual([answer, endpoint.label, context.servedBy], [[1, 2], 'e1', 'test/e1']);
    for (const status of [429, 503, 500, 502]) {
      first.handler = json(status, '<html>busy</html>', 'text/html');
      const before = second.requests;
      const result = await requestWithFailover(poolOf([first.url, second.url]), parsed, call());
      assert.equal(result.endpoint.label, 'e1', `after ${status}`);
      assert.equal(second.requests, before + 1);
    }
  });

  it('the endpoint that failed goes last until its ejection ends; a success clears it', async () => {
    const pool = poolOf([first.url, second.url]);
    first.handler = json(503, '{"error":"at capacity"}');
    await requestWithFailover(pool, parsed, call());
    first.handler = json(200, '{"data":[3]}');
    assert.equal(
      (await requestWithFailover(pool, parsed, call())).endpoint.label,
      'e1',
      'the ejected endpoint is not asked first',
    );
    assert.equal(first.requests, 1);
  });

  it("the upstream's verdict (a 400) is not retried elsewhere, and its words reach the error (never the URL)", async () => {
    first.handler = json(400, '{"error":{"message":"bad field"}}');
    await assert.rejects(
      requestWithFailover(poolOf([first.url, second.url]), parsed, call()),
      (error: unknown) =>
        failsWith('bad_request', false, 400)(error) && (error as Error).message === 'bad field',
    );
    assert.equal(second.requests, 0);
  });

  it('a timeout is mapped to `timeout` and not retried (the upstream may still be working on it)', async () => {
    first.handler = silent;
    await assert.rejects(
      requestWithFailover(poolOf([first.url, second.url], 200), parsed, call()),
      failsWith('timeout', false),
    );
    assert.equal(second.requests, 0);
  });

  it('no retry once the answer is handed on: a body that breaks afterwards is a 502 of sorts, never the next endpoint', async () => {
    first.handler = brokenBody;
    const context = call();
    const { answer, endpoint } = await requestWithFailover(
      poolOf([first.url, second.url]),
      { ...exchange, read: unread },
      context,
    );
    await assert.rejects(
      answer.body.text().catch((error: unknown) => {
        throw brokenAnswer(error, endpoint.label, context);
      }),
      failsWith('failed', false, 502),
    );
    assert.equal(second.requests, 0);
  });

  it('a body that breaks while it is read (before anything is handed on) moves on like no answer', async () => {
    first.handler = brokenBody;
    assert.deepEqual(
      (await requestWithFailover(poolOf([first.url, second.url]), parsed, call())).answer,
      [1, 2],
    );
    assert.equal(second.requests, 1);
  });

  it('malformed bodies are mapped errors, not crashes: garbage under a 2xx, and under a failing status', async () => {
    for (const body of ['{"data":', '<html>oops</html>', '{"data":"nope"}', 'null', '[1]']) {
      first.handler = json(200, body);
      await assert.rejects(
        requestWithFailover(poolOf([first.url]), parsed, call()),
        failsWith('failed', false),
        body,
      );
    }
    first.handler = json(500, '\u0000\u0001 not json');
    await assert.rejects(
      requestWithFailover(poolOf([first.url]), parsed, call()),
      failsWith('failed', true, 500),
    );
    first.handler = json(429, '{"error":{"message":42}}');
    await assert.rejects(
      requestWithFailover(poolOf([first.url]), parsed, call()),
      failsWith('overloaded', true, 429),
    );
  });

  it("the client's abort ends the exchange at once, on no other endpoint", async () => {
    first.handler = silent;
    const controller = new AbortController();
    const pending = requestWithFailover(poolOf([first.url, second.url]), parsed, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      pending,
      (error: unknown) =>
        failsWith('failed', false)(error) &&
        (error as Error).message === 'request aborted by the client',
    );
    assert.equal(second.requests, 0);
  });

  it('with every endpoint down, the last failure is thrown: offline', async () => {
    await assert.rejects(
      requestWithFailover(poolOf([closedUrl, closedUrl]), parsed, call()),
      failsWith('offline', true),
    );
  });
});
