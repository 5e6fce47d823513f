import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { VeniceError } from '../../errors/venice-error.ts';
import { request } from 'undici';
import { isPrivateAddress, timedOut, UrlFetcher } from './url-fetcher.ts';

const LIMITS = {
  timeoutMs: 2000,
  maxBytes: 1024,
  maxRedirects: 2,
  perRequest: { maxUrls: 16, maxBytes: 4096, concurrency: 4 },
};

/** The Venice error a promise rejects with (fails the test when it resolves or throws something else). */
async function veniceErrorOf(promise: Promise<unknown>): Promise<VeniceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VeniceError, `expected a VeniceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('isPrivateAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, unspecified, ULA and IPv4-mapped private addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::127.0.0.1',
      '::7f00:1',
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });
  it('lets public addresses through', () => {
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '1.1.1.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });
});

describe('UrlFetcher', () => {
  let server: Server;
  let origin: string;
  let port: number;

  before(async () => {
    server = createServer((request, response) => {
      switch (request.url) {
        case '/image.png':
          response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100, 1));
          break;
        case '/page':
          response
            .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            .end('<html></html>');
          break;
        case '/big':
          response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(4096));
          break;
        case '/big-chunked':
          response.writeHead(200, { 'content-type': 'image/png' });
          response.write(Buffer.alloc(800));
          response.end(Buffer.alloc(800));
          break;
        case '/redirect':
          response.writeHead(302, { location: '/image.png' }).end();
          break;
        case '/loop':
          response.writeHead(302, { location: '/loop' }).end();
          break;
        case '/missing':
          response.writeHead(404).end();
          break;
        case '/slow':
          setTimeout(
            () => response.writeHead(200, { 'content-type': 'image/png' }).end('late'),
            5000,
          ).unref();
          break;
        default:
          response.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** A fetcher closed when the test ends, passed or failed. */
  const fetcherFor = (
    t: TestContext,
    limits: ConstructorParameters<typeof UrlFetcher>[0],
  ): UrlFetcher => {
    const fetcher = new UrlFetcher(limits);
    t.after(() => fetcher.close());
    return fetcher;
  };
  const allowed = (t: TestContext): UrlFetcher =>
    fetcherFor(t, {
      ...LIMITS,
      allowHosts: ['127.0.0.1', 'localhost'],
      allowPrivateAddresses: false,
    });

  it('fetches an allowed host, with its media type, following redirects', async (t) => {
    const fetcher = allowed(t);
    const direct = await fetcher.fetch(`${origin}/image.png`, {
      field: 'image_url',
      accept: ['image/'],
    });
    assert.equal(direct.bytes.length, 100);
    assert.equal(direct.contentType, 'image/png');
    const redirected = await fetcher.fetch(`${origin}/redirect`, { field: 'image_url' });
    assert.equal(redirected.bytes.length, 100);
  });

  it('refuses loopback literals and names that resolve to loopback unless the host is allowed', async (t) => {
    const fetcher = fetcherFor(t, { ...LIMITS, allowHosts: [], allowPrivateAddresses: false });
    for (const url of [
      `${origin}/image.png`,
      `http://localhost:${port}/image.png`,
      `http://[::1]:${port}/image.png`,
    ]) {
      const error = await veniceErrorOf(fetcher.fetch(url, { field: 'image_url' }));
      assert.equal(error.code, 'INVALID_REQUEST', url);
      assert.match(error.message, /private address/, url);
    }
  });

  it('a redirect to a private address is checked again', async (t) => {
    const target = createServer((_request, response) =>
      response.writeHead(302, { location: `${origin}/image.png` }).end(),
    );
    t.after(() => {
      target.closeAllConnections();
      target.close();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.2', resolve));
    const fetcher = fetcherFor(t, {
      ...LIMITS,
      allowHosts: ['127.0.0.2'],
      allowPrivateAddresses: false,
    });
    const error = await veniceErrorOf(
      fetcher.fetch(`http://127.0.0.2:${(target.address() as AddressInfo).port}/`, {
        field: 'image_url',
      }),
    );
    assert.match(error.message, /private address/);
  });

  it('refuses other schemes, bad URLs, wrong media types, error statuses and redirect loops', async (t) => {
    const fetcher = allowed(t);
    assert.match(
      (await veniceErrorOf(fetcher.fetch('file:///etc/passwd', { field: 'image_url' }))).message,
      /only http and https/,
    );
    assert.match(
      (await veniceErrorOf(fetcher.fetch('not a url', { field: 'image_url' }))).message,
      /not a valid URL/,
    );
    assert.match(
      (
        await veniceErrorOf(
          fetcher.fetch(`${origin}/page`, { field: 'image_url', accept: ['image/'] }),
        )
      ).message,
      /serves text\/html/,
    );
    assert.match(
      (await veniceErrorOf(fetcher.fetch(`${origin}/missing`, { field: 'image_url' }))).message,
      /answered 404/,
    );
    assert.match(
      (await veniceErrorOf(fetcher.fetch(`${origin}/loop`, { field: 'image_url' }))).message,
      /too many redirects/,
    );
  });

  it('bodies over the limit are 413, whether announced or streamed', async (t) => {
    const fetcher = allowed(t);
    assert.equal(
      (await veniceErrorOf(fetcher.fetch(`${origin}/big`, { field: 'image_url' }))).code,
      'PAYLOAD_TOO_LARGE',
    );
    assert.equal(
      (await veniceErrorOf(fetcher.fetch(`${origin}/big-chunked`, { field: 'image_url' }))).code,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('a server that does not answer in time is refused', async (t) => {
    const fetcher = fetcherFor(t, {
      ...LIMITS,
      timeoutMs: 200,
      allowHosts: ['127.0.0.1'],
      allowPrivateAddresses: false,
    });
    assert.match(
      (await veniceErrorOf(fetcher.fetch(`${origin}/slow`, { field: 'image_url' }))).message,
      /did not answer in time/,
    );
  });

  it("undici's own headers timeout counts as out of time, as the signal's does (either may fire first)", async () => {
    // The error undici itself raises when the headers do not come in time (the fetcher's dispatcher has the same figure).
    const error = await request(`${origin}/slow`, { headersTimeout: 100 }).then(
      () => assert.fail('the slow server answered'),
      (rejected: unknown) => rejected,
    );
    const running = new AbortController().signal;
    assert.equal(timedOut(running, error), true, String(error));
    assert.equal(
      timedOut(running, Object.assign(new Error('x'), { code: 'UND_ERR_BODY_TIMEOUT' })),
      true,
    );
    assert.equal(timedOut(running, Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
    assert.equal(timedOut(AbortSignal.abort(), new Error('aborted')), true);
  });
});
