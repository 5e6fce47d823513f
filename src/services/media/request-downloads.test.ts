import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VeniceError } from '../../errors/venice-error.ts';
import { UrlFetcher } from './url-fetcher.ts';

describe("RequestDownloads: one request's URLs, bytes and concurrency", () => {
  let server: Server;
  let origin = '';
  let hits = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const held: (() => void)[] = [];
  before(async () => {
    // /bytes/N answers N bytes; /held/N answers once the test lets it go, so overlapping downloads can be counted.
    server = createServer((request, response) => {
      hits += 1;
      const [, kind, size] = /^\/(bytes|held)\/(\d+)$/.exec(request.url ?? '') ?? [];
      if (kind === undefined) return void response.writeHead(404).end();
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const answer = (): void => {
        inFlight -= 1;
        response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(Number(size), 1));
      };
      if (kind === 'held') held.push(answer);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const fetcher = (perRequest: {
    maxUrls: number;
    maxBytes: number;
    concurrency: number;
  }): UrlFetcher =>
    new UrlFetcher({
      allowHosts: ['127.0.0.1'],
      allowPrivateAddresses: false,
      timeoutMs: 5000,
      maxBytes: 1024,
      maxRedirects: 1,
      perRequest,
    });
  const reset = (): void => {
    hits = 0;
    mostInFlight = 0;
  };

  it('refuses the URL past maxUrls with a 400, before it is fetched', async () => {
    reset();
    const downloads = fetcher({ maxUrls: 3, maxBytes: 1 << 20, concurrency: 4 }).forRequest();
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(() => downloads.fetch(`${origin}/bytes/10`, { field: 'image_url' })),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
    const refusal = results.find((result) => result.status === 'rejected')?.reason;
    assert.ok(refusal instanceof VeniceError && refusal.status === 400, String(refusal));
    assert.match(refusal.message, /at most 3 URLs/);
    assert.equal(hits, 3);
  });

  it('refuses the download that would take the request past maxBytes, while each alone fits its cap', async () => {
    reset();
    const downloads = fetcher({ maxUrls: 16, maxBytes: 2500, concurrency: 4 }).forRequest();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => downloads.fetch(`${origin}/bytes/1000`, { field: 'image_url' })),
    );
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    const refusal = (results[2] as PromiseRejectedResult).reason as VeniceError;
    assert.equal(refusal.status, 400);
    assert.match(refusal.message, /may total at most/);
  });

  it('lets small downloads share the budget: many files under it all arrive', async () => {
    reset();
    const downloads = fetcher({ maxUrls: 16, maxBytes: 2500, concurrency: 4 }).forRequest();
    const fetched = await Promise.all(
      Array.from({ length: 12 }, () =>
        downloads.fetch(`${origin}/bytes/200`, { field: 'file_data' }),
      ),
    );
    assert.equal(
      fetched.reduce((sum, media) => sum + media.bytes.length, 0),
      2400,
    );
  });

  it('runs at most `concurrency` downloads of a request at once', async () => {
    reset();
    const downloads = fetcher({ maxUrls: 16, maxBytes: 1 << 20, concurrency: 2 }).forRequest();
    const all = Promise.all(
      Array.from({ length: 6 }, () => downloads.fetch(`${origin}/held/10`, { field: 'image_url' })),
    );
    // The server holds what arrives. With the limit, two arrive and the rest wait for them; without it all six come
    // (given 300 ms to: a slow machine could only hide a broken limit, never fail a working one).
    while (held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(held.length as number, 2, 'downloads held by the server at once');
    for (let released = 0; released < 6; released += 1) {
      while (held.length === 0) await new Promise((resolve) => setImmediate(resolve));
      held.shift()!();
    }
    assert.equal((await all).length, 6);
    assert.ok(mostInFlight <= 2, `${mostInFlight} downloads ran at once`);
  });
});
