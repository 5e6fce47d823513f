import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatMessage, UserContentPart } from '../../schemas/chat.ts';
import { UrlFetcher } from '../media/url-fetcher.ts';
import { inlineMediaUrls } from './media-urls.ts';

const WEBM = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3]);
const user = (...content: UserContentPart[]): ChatMessage[] => [{ role: 'user', content }];

describe('inlineMediaUrls', () => {
  let server: Server;
  let origin = '';
  let hits = 0;
  before(async () => {
    server = createServer((request, response) => {
      hits += 1;
      if (request.url === '/clip') return void response.writeHead(200).end(WEBM);
      if (request.url === '/image-as-video')
        return void response.writeHead(200, { 'content-type': 'image/png' }).end('x');
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const fetcher = (): UrlFetcher =>
    new UrlFetcher({
      allowHosts: ['127.0.0.1'],
      allowPrivateAddresses: false,
      timeoutMs: 2000,
      maxBytes: 1024,
      maxRedirects: 1,
      perRequest: { maxUrls: 16, maxBytes: 4096, concurrency: 4 },
    });

  it('returns messages without remote media unchanged, data: URLs included, and fetches nothing', async () => {
    const messages = user(
      { type: 'text', text: 'hi' },
      { type: 'image_url', image_url: { url: 'DATA:image/png;base64,AAAA' } },
    );
    assert.equal(
      await inlineMediaUrls(messages, undefined, new AbortController().signal),
      messages,
    );
    assert.equal(hits, 0);
  });

  it('without a fetcher, refuses a URL other than data: with a 400', async () => {
    await assert.rejects(
      inlineMediaUrls(
        user({ type: 'image_url', image_url: { url: `${origin}/x.png` } }),
        undefined,
        new AbortController().signal,
      ),
      (error) =>
        error instanceof VeniceError &&
        error.code === 'INVALID_REQUEST' &&
        /only data: URLs/.test(error.message),
    );
    assert.equal(hits, 0);
  });

  it('reads a video without a media type from its bytes; refuses one that serves an image', async () => {
    const client = fetcher();
    try {
      const [message] = await inlineMediaUrls(
        user({ type: 'video_url', video_url: { url: `${origin}/clip` } }),
        client,
        new AbortController().signal,
      );
      assert.deepEqual(message, {
        role: 'user',
        content: [
          {
            type: 'video_url',
            video_url: { url: `data:video/webm;base64,${WEBM.toString('base64')}` },
          },
        ],
      });
      await assert.rejects(
        inlineMediaUrls(
          user({ type: 'video_url', video_url: { url: `${origin}/image-as-video` } }),
          client,
          new AbortController().signal,
        ),
        /serves image\/png, not video\//,
      );
    } finally {
      await client.close();
    }
  });
});
