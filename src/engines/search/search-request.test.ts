import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../engine-error.ts';
import { getSearchJson } from './search-request.ts';

/** A search API on 127.0.0.1 that answers, stalls before its headers, or stalls in the middle of its body. */
function searchApi(): Server {
  return createServer((request, response) => {
    if (request.url === '/ok') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"results":[]}');
    } else if (request.url === '/stall-body') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"results":[');
    } else if (request.url === '/slow-overloaded') {
      response.writeHead(429);
      response.end();
    }
    // /stall-headers: nothing at all until the client gives up.
  });
}

const call = () => ({ signal: new AbortController().signal });

describe('getSearchJson', () => {
  let server: Server;
  let origin: string;
  before(async () => {
    server = searchApi();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const failureOf = async (path: string, timeoutMs = 300): Promise<EngineError> => {
    try {
      await getSearchJson(new URL(path, origin), {}, timeoutMs, call(), 'SearxNG');
    } catch (error) {
      assert.ok(error instanceof EngineError, `not an EngineError: ${String(error)}`);
      return error;
    }
    throw new Error('no failure');
  };

  it('reads the JSON of a 200', async () => {
    assert.deepEqual(await getSearchJson(new URL('/ok', origin), {}, 1_000, call(), 'SearxNG'), {
      results: [],
    });
  });

  it('a timeout before the headers is a timeout', async () => {
    const failure = await failureOf('/stall-headers');
    assert.equal(failure.failure, 'timeout');
    assert.match(failure.message, /SearxNG did not answer in time/);
  });

  it('a timeout in the middle of the body is a timeout too, not an unexpected error', async () => {
    const failure = await failureOf('/stall-body');
    assert.equal(failure.failure, 'timeout');
    assert.match(failure.message, /SearxNG did not answer in time/);
  });

  it('no server is offline; 429 is overloaded', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = await getSearchJson(
      new URL(`http://127.0.0.1:${port}/`),
      {},
      1_000,
      call(),
      'SearxNG',
    ).catch((error: unknown) => error);
    assert.ok(offline instanceof EngineError);
    assert.equal(offline.failure, 'offline');
    assert.equal((await failureOf('/slow-overloaded')).failure, 'overloaded');
  });
});
