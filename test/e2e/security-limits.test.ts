// Issue #10.4: request size and time caps on every route. Every route that takes a body (read from the server's
// route table, test/support/route-table.ts) answers a body over server.bodyLimit with 413 and the Venice body,
// whether the size is announced (Content-Length) or only counted (chunked), as JSON and as multipart/form-data
// (a chunked one to a route without multipart is 415, unread). Receiving a request is timed (server.headersTimeoutMs and
// requestTimeoutMs): the caps are on by default, and a client that stops sending mid-body is cut off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import { parseConfig } from '../../src/config.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { routeTable, type RouteEntry } from '../support/route-table.ts';

const BODY_LIMIT = 256 * 1024;
const TOO_LARGE = { error: ERROR_CODES.PAYLOAD_TOO_LARGE.message };

/** The concrete path of a route template. */
const pathOf = (route: RouteEntry): string =>
  route.url.replace(/:[A-Za-z]+/g, 'probe').replace(/\*$/, 'probe');

function chunked(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 16 * 1024));
      offset += 16 * 1024;
    },
  });
}

function multipartBody(boundary: string, size: number): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nprobe\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.alloc(size, 0x61),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe('request size caps on every route that takes a body', () => {
  let rialto: TestRialto;
  let routes: RouteEntry[];

  before(async () => {
    rialto = await startRialto({ server: { bodyLimit: BODY_LIMIT } });
    routes = routeTable(rialto.app).filter((route) =>
      ['POST', 'PUT', 'PATCH'].includes(route.method),
    );
  });
  after(() => rialto.close());

  async function send(
    route: RouteEntry,
    body: Buffer | ReadableStream<Uint8Array>,
    contentType: string,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${rialto.origin}${pathOf(route)}`, {
      method: route.method,
      body,
      headers: { authorization: `Bearer ${rialto.adminKey}`, 'content-type': contentType },
      ...(Buffer.isBuffer(body) ? {} : { duplex: 'half' }),
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  it('the route table has the JSON and multipart routes', () => {
    for (const path of [
      '/api/v1/chat/completions',
      '/api/v1/audio/transcriptions',
      '/api/v1/augment/text-parser',
      '/api/v1/image/edit',
      '/api/v1/admin/accounts/:id/top-up',
    ]) {
      assert.ok(
        routes.some((route) => route.url === path),
        path,
      );
    }
  });

  it('a JSON body over server.bodyLimit is 413 PAYLOAD_TOO_LARGE, announced or chunked', async () => {
    const json = Buffer.from(JSON.stringify({ model: 'probe', pad: 'x'.repeat(BODY_LIMIT) }));
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      const announced = await send(route, json, 'application/json');
      assert.equal(announced.status, 413, label);
      assert.deepEqual(announced.body, TOO_LARGE, label);
      const streamed = await send(route, chunked(json), 'application/json');
      assert.equal(streamed.status, 413, `${label} (chunked)`);
      assert.deepEqual(streamed.body, TOO_LARGE, `${label} (chunked)`);
    }
  });

  it('a multipart body over server.bodyLimit is 413, announced or chunked (415 unread where no multipart is taken)', async () => {
    const boundary = 'rialto-limit-boundary';
    const form = multipartBody(boundary, BODY_LIMIT + 1024);
    const refused = { announced: 0, chunked: 0 };
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      for (const [kind, body] of [
        ['announced', form],
        ['chunked', chunked(form)],
      ] as const) {
        const answer = await send(route, body, `multipart/form-data; boundary=${boundary}`);
        assert.ok(
          answer.status === 413 || answer.status === 415,
          `${label} (${kind}): ${answer.status} ${JSON.stringify(answer.body)}`,
        );
        if (answer.status === 413) assert.deepEqual(answer.body, TOO_LARGE, label);
        else
          assert.deepEqual(answer.body, { error: ERROR_CODES.INVALID_CONTENT_TYPE.message }, label);
        if (answer.status === 413) refused[kind] += 1;
      }
    }
    // An announced size is refused before the content type is looked at; a chunked body is counted by the media
    // routes that read multipart (edit, multi-edit, upscale, background-remove, transcriptions, text-parser).
    assert.ok(refused.announced === routes.length && refused.chunked >= 6, JSON.stringify(refused));
  });
});

describe('request time caps', () => {
  it('headers and whole-request timeouts are on by default and reach the HTTP server', async () => {
    const defaults = parseConfig({}).server;
    assert.equal(defaults.bodyLimit, 40 * 1024 * 1024);
    assert.ok(
      defaults.headersTimeoutMs > 0 && defaults.requestTimeoutMs > 0,
      'both caps are on by default',
    );
    const rialto = await startRialto({});
    try {
      assert.equal(rialto.app.server.headersTimeout, defaults.headersTimeoutMs);
      assert.equal(rialto.app.server.requestTimeout, defaults.requestTimeoutMs);
    } finally {
      await rialto.close();
    }
  });

  it('a client that stops sending mid-body is answered 408 and disconnected', async () => {
    const rialto = await startRialto({ server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    try {
      const { hostname, port } = new URL(rialto.origin);
      const socket = connect(Number(port), hostname);
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        received += chunk;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(
        `POST /api/v1/chat/completions HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${rialto.inferenceKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
      );
      await closed;
      assert.match(
        received,
        /^HTTP\/1\.1 408 /,
        'the server answered 408 Request Timeout before closing',
      );
    } finally {
      await rialto.close();
    }
  });
});
