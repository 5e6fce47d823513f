// A key past its rate limit makes the server do no work (issue #17.2): chat admits and reserves before it reads a
// file part, fetches a media URL, searches the web, scrapes a page or starts an engine; an upscale admits before it
// fetches or decodes its image. The file server, the Brave Search double and the upstream see no request from a
// refused request.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { startBraveSearchServer, type SearchServer } from '../support/upstream/search-servers.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { chatModel, useReplayRialto } from './upstream-support.ts';

const TOKEN = 'brave-token';
const PRICE = { usd: 0.01, diem: 0.01 };
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

/** Serves a document and an image on 127.0.0.1; `paths` records every request it gets. */
async function startFileServer(): Promise<{
  url: string;
  paths: string[];
  close: () => Promise<void>;
}> {
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    if (request.url === '/pixel.png')
      return void response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    response
      .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The Rialto Bridge spans the Grand Canal.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a key past its rate limit makes chat do no work', () => {
  let brave: SearchServer;
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    [brave, files] = await Promise.all([startBraveSearchServer(TOKEN), startFileServer()]);
  });
  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      rateLimits: {
        enabled: true,
        overrides: { S: { requestsPerMinute: 1, tokensPerMinute: 1_000_000 } },
      },
      fetch: { allowHosts: ['127.0.0.1'] },
      models: [
        {
          ...chatModel('seer', 'vllm', [url]),
          capabilities: { supportsVision: true, supportsMultipleImages: true, maxImages: 2 },
        },
      ],
      augment: {
        search: [{ kind: 'brave', apiKey: TOKEN, url: brave.url }],
        pricing: { search: PRICE, scrape: PRICE },
      },
    }),
    (servers) => ({ replay, rialto } = servers),
  );
  after(async () => {
    await Promise.all([brave?.close(), files?.close()]);
  });

  it('refuses a file, a media URL, web search and scraping with 429 before anything is fetched, searched or run', async () => {
    const { apiKey } = await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'over its limit',
    });
    const send = (body: Record<string, unknown>): Promise<Response> =>
      fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'seer', max_tokens: 8, ...body }),
      });
    const first = await send({ messages: [{ role: 'user', content: '#plain hello' }] });
    assert.equal(first.status, 200, await first.text());
    const seen = {
      files: files.paths.length,
      searches: brave.requests.length,
      upstream: replay.requests.length,
    };
    const refused = [
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Summarise it.' },
              {
                type: 'file',
                file: { file_data: `${files.url}/notes.txt`, filename: 'notes.txt' },
              },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in it?' },
              { type: 'image_url', image_url: { url: `${files.url}/pixel.png` } },
            ],
          },
        ],
      },
      {
        messages: [{ role: 'user', content: 'Who built the Rialto Bridge?' }],
        venice_parameters: { enable_web_search: 'on' },
      },
      {
        messages: [{ role: 'user', content: `Summarise ${files.url}/page` }],
        venice_parameters: { enable_web_scraping: true },
      },
      { messages: [{ role: 'user', content: 'A long prompt. '.repeat(20_000) }] },
    ];
    for (const body of refused) {
      const response = await send(body);
      assert.equal(response.status, 429, await response.text());
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
    }
    assert.deepEqual(
      {
        files: files.paths.length,
        searches: brave.requests.length,
        upstream: replay.requests.length,
      },
      seen,
      'a refused chat fetched, searched or ran nothing',
    );
  });
});

describe('a key past its rate limit makes an upscale fetch nothing', () => {
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let rialto: TestRialto;

  before(async () => {
    files = await startFileServer();
    rialto = await startRialto({
      rateLimits: { enabled: true, overrides: { image: { requestsPerMinute: 1 } } },
      fetch: { allowHosts: ['127.0.0.1'] },
      models: [
        {
          id: 'upscaler',
          type: 'upscale',
          engine: { kind: 'esrgan', tileSize: 128, concurrency: 1 },
          pricing: {
            input: { usd: 0, diem: 0 },
            output: { usd: 0, diem: 0 },
            upscale: { '2x': PRICE, '4x': PRICE },
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await files?.close();
  });

  it('refuses an image URL with 429 before fetching it', async () => {
    const send = (image: string): Promise<Response> =>
      fetch(`${rialto.baseURL}/image/upscale`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ image, scale: 2 }),
      });
    // Admitted (the minute's one request), then refused for what it holds: not an image.
    const first = await send(Buffer.from('not an image').toString('base64'));
    assert.equal(first.status, 400, await first.text());
    const refused = await send(`${files.url}/pixel.png`);
    assert.equal(refused.status, 429, await refused.text());
    assert.deepEqual(files.paths, [], 'the image was not fetched');
  });
});
