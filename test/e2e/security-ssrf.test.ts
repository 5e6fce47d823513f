// rialto-test: sqlite-only
// Issue #10.4, SSRF: every URL a client can make Rialto fetch — /image/upscale `image`, /image/background-remove
// `image_url` and `image`, /image/edit `image`, /image/multi-edit `images`, /augment/scrape `url`, chat `file`
// parts, chat `enable_web_scraping`, /video/transcriptions `url` — is refused when it names a private, loopback
// or link-local address in any spelling (decimal, hex, octal, short, IPv4-mapped IPv6, names that resolve to
// loopback), also after a redirect from an allowed host; and what an allowed host serves is capped in size and
// time. A canary server on 127.0.0.1 (and ::1) on one port counts every connection: it must see none.
// Loopback is private, so the "public" host is 127.0.0.2, allowed by fetch.allowHosts (config.ts FetchConfig).
// (Video and music queue URLs are not fetched by Rialto: they are relayed to the engine, or must be data URLs.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyOnnx } from '../fixtures/tiny-onnx.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel } from './upstream-support.ts';
import { listenOnHost, stopServer } from '../support/listen-on-host.ts';

const FREE = { usd: 0, diem: 0 };
const PRIVATE_MESSAGE = /the URL points to a private address|could not be reached \(ENOTFOUND\)/;
const MAX_BYTES = 64 * 1024;

/** An entry point: the request that makes Rialto fetch `url`, and whether a refusal is silent (the page is skipped). */
interface EntryPoint {
  name: string;
  path: string;
  body(url: string): unknown;
  /** Chat web scraping skips a page it cannot read and answers from the rest: 200, and the canary unvisited. */
  skipsFailures?: boolean;
}

const ENTRY_POINTS: EntryPoint[] = [
  {
    name: 'upscale image',
    path: '/image/upscale',
    body: (url) => ({ model: 'upscaler', image: url, scale: 2 }),
  },
  {
    name: 'background-remove image_url',
    path: '/image/background-remove',
    body: (url) => ({ image_url: url }),
  },
  {
    name: 'background-remove image',
    path: '/image/background-remove',
    body: (url) => ({ image: url }),
  },
  {
    name: 'edit image',
    path: '/image/edit',
    body: (url) => ({ model: 'editor', prompt: 'a hat', image: url }),
  },
  {
    name: 'multi-edit images',
    path: '/image/multi-edit',
    body: (url) => ({ modelId: 'editor', prompt: 'a hat', images: [url] }),
  },
  { name: 'augment scrape url', path: '/augment/scrape', body: (url) => ({ url }) },
  {
    name: 'chat file part',
    path: '/chat/completions',
    body: (url) => ({
      model: 'reader',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '#plain read it' },
            { type: 'file', file: { file_data: url, filename: 'notes.txt' } },
          ],
        },
      ],
    }),
  },
  {
    name: 'chat web scraping',
    path: '/chat/completions',
    skipsFailures: true,
    body: (url) => ({
      model: 'reader',
      messages: [{ role: 'user', content: `#plain summarize ${url}` }],
      venice_parameters: { enable_web_scraping: true },
    }),
  },
  { name: 'video transcriptions url', path: '/video/transcriptions', body: (url) => ({ url }) },
];

describe('SSRF: client URLs never reach private addresses', () => {
  let rialto: TestRialto;
  let replay: ReplayServer;
  let dataDirectory: string;
  const canaries: Server[] = [];
  let canaryHits = 0;
  let port = 0;
  let publicServer: Server;
  let publicOrigin = '';

  before(async () => {
    const canary = (): Server =>
      createServer((_request, response) => {
        canaryHits += 1;
        response.writeHead(200, { 'content-type': 'text/plain' }).end('canary');
      });
    canaries.push(canary());
    port = await listenOnHost(canaries[0]!, '127.0.0.1');
    const ipv6 = canary();
    if (
      await listenOnHost(ipv6, '::1', port).then(
        () => true,
        () => false,
      )
    )
      canaries.push(ipv6);
    // The "public" host: pages, redirects to private addresses, a body over fetch.maxBytes, a server that never answers.
    publicServer = createServer((request, response) => {
      const redirect = (location: string): void => void response.writeHead(302, { location }).end();
      switch (request.url) {
        case '/page':
          return void response
            .writeHead(200, { 'content-type': 'text/html' })
            .end(
              '<html><body><article><h1>Lagoon</h1><p>The public page about the lagoon, long enough to be an article worth reading here.</p></article></body></html>',
            );
        case '/to-loopback':
          return redirect(`http://127.0.0.1:${port}/secret`);
        case '/to-localhost':
          return redirect(`http://localhost:${port}/secret`);
        case '/to-decimal':
          return redirect(`http://2130706433:${port}/secret`);
        case '/to-mapped':
          return redirect(`http://[::ffff:127.0.0.1]:${port}/secret`);
        case '/to-metadata':
          return redirect('http://169.254.169.254/latest/meta-data/');
        case '/to-relative-hop':
          return redirect('/to-loopback');
        case '/big':
          return void response
            .writeHead(200, { 'content-type': 'application/octet-stream' })
            .end(Buffer.alloc(MAX_BYTES * 4, 1));
        case '/big-chunked': {
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          for (let chunk = 0; chunk < 8; chunk += 1) response.write(Buffer.alloc(MAX_BYTES / 2, 1));
          return void response.end();
        }
        case '/slow':
          return; // never answers: the fetch timeout ends it
        default:
          return void response.writeHead(404).end();
      }
    });
    publicOrigin = `http://127.0.0.2:${await listenOnHost(publicServer, '127.0.0.2')}`;
    replay = await startReplayServer({ flavor: 'vllm' });
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-ssrf-'));
    await writeTinyOnnx(join(dataDirectory, 'models', 'saliency.onnx'), { size: 64 });
    const unused = 'http://127.0.0.1:9/v1';
    rialto = await startRialto(
      {
        dataDirectory,
        systemPrompt: '',
        // A timeout long enough for a loaded machine to serve the other pages well within it.
        fetch: { allowHosts: ['127.0.0.2'], maxBytes: MAX_BYTES, timeoutMs: 5000, maxRedirects: 3 },
        models: [
          chatModel('reader', 'vllm', [replay.url]),
          {
            id: 'upscaler',
            type: 'upscale',
            engine: { kind: 'esrgan', tileSize: 128, concurrency: 1 },
            pricing: { input: FREE, output: FREE, upscale: { '2x': FREE, '4x': FREE } },
          },
          {
            id: 'bg-remover',
            type: 'image',
            engine: { kind: 'onnx-background-removal', path: 'saliency.onnx', threads: 1 },
            pricing: { input: FREE, output: FREE, generation: FREE },
          },
          {
            id: 'editor',
            type: 'inpaint',
            engine: {
              kind: 'openai-compatible',
              model: 'gpt-image-1',
              endpoints: [{ url: unused }],
            },
          },
          {
            id: 'asr',
            type: 'asr',
            engine: { kind: 'openai-compatible', model: 'whisper-1', endpoints: [{ url: unused }] },
            pricing: { input: FREE, output: FREE, per_audio_second: FREE },
          },
        ],
      },
      { database: 'sqlite' },
    );
  });
  after(async () => {
    await rialto?.close();
    await replay?.close();
    await Promise.all([...canaries, publicServer].map(stopServer));
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  async function send(
    entry: EntryPoint,
    url: string,
  ): Promise<{ status: number; body: { error?: unknown } & Record<string, unknown> }> {
    const response = await fetch(`${rialto.baseURL}${entry.path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(entry.body(url)),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as { error?: unknown } };
  }

  /** The request is refused with a Venice 400 naming the reason (or, for chat scraping, answered without the page). */
  async function assertRefused(entry: EntryPoint, url: string, reason: RegExp): Promise<void> {
    const { status, body } = await send(entry, url);
    const label = `${entry.name}: ${url}`;
    if (entry.skipsFailures === true) {
      assert.equal(status, 200, `${label}: ${JSON.stringify(body)}`);
      const prompt = JSON.stringify(replay.requests.at(-1)?.body);
      assert.ok(!prompt.includes('canary'), `${label}: nothing fetched reached the model`);
      return;
    }
    assert.equal(status, 400, `${label}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error, 'string', label);
    assert.match(String(body.error), reason, label);
  }

  const literal = (): string[] => [
    `http://127.0.0.1:${port}/x`,
    `http://127.8.9.10:${port}/x`,
    `http://[::1]:${port}/x`,
    `http://0.0.0.0:${port}/x`,
    `http://0:${port}/x`,
    `http://2130706433:${port}/x`,
    `http://0x7f000001:${port}/x`,
    `http://0177.0.0.1:${port}/x`,
    `http://127.1:${port}/x`,
    `http://[::ffff:127.0.0.1]:${port}/x`,
    `http://[::ffff:7f00:1]:${port}/x`,
    `http://[::127.0.0.1]:${port}/x`,
    `http://[::]:${port}/x`,
    'http://10.0.0.1/x',
    'http://172.16.5.4/x',
    'http://192.168.1.1/x',
    'http://100.64.0.1/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/latest/meta-data/',
    'http://[fe80::1]/x',
    'http://[fd00::1]/x',
  ];

  for (const entry of ENTRY_POINTS) {
    it(`${entry.name}: private, loopback and link-local addresses in every spelling are refused, the canary never reached`, async () => {
      for (const url of literal())
        await assertRefused(entry, url, /the URL points to a private address/);
      // Names that resolve to loopback: refused on the addresses the connection would use.
      for (const url of [
        `http://localhost:${port}/x`,
        `http://LOCALHOST.:${port}/x`,
        `http://rialto.localhost:${port}/x`,
      ])
        await assertRefused(entry, url, PRIVATE_MESSAGE);
      for (const url of [
        'file:///etc/passwd',
        `ftp://127.0.0.2:${port}/x`,
        'gopher://127.0.0.2/x',
      ]) {
        const { status } = await send(entry, url);
        if (entry.skipsFailures !== true) assert.equal(status, 400, `${entry.name}: ${url}`);
      }
      assert.equal(canaryHits, 0, 'no connection reached the private canary');
    });

    it(`${entry.name}: a redirect from an allowed host to a private address is refused`, async () => {
      for (const path of [
        '/to-loopback',
        '/to-localhost',
        '/to-decimal',
        '/to-mapped',
        '/to-metadata',
        '/to-relative-hop',
      ]) {
        await assertRefused(entry, `${publicOrigin}${path}`, PRIVATE_MESSAGE);
      }
      assert.equal(canaryHits, 0, 'no redirect reached the private canary');
    });

    if (entry.skipsFailures !== true) {
      it(`${entry.name}: an allowed host's body over fetch.maxBytes is refused`, async () => {
        for (const path of ['/big', '/big-chunked']) {
          const { status, body } = await send(entry, `${publicOrigin}${path}`);
          assert.ok(
            status === 413 || status === 400,
            `${entry.name} ${path}: ${status} ${JSON.stringify(body)}`,
          );
          assert.match(String(body.error), /too large|larger than/i, `${entry.name} ${path}`);
        }
      });
    }
  }

  it('every entry point gives up on an allowed host that never answers (fetch.timeoutMs)', async () => {
    // All at once: each waits out the timeout.
    await Promise.all(
      ENTRY_POINTS.filter((entry) => entry.skipsFailures !== true).map((entry) =>
        assertRefused(entry, `${publicOrigin}/slow`, /did not answer in time/),
      ),
    );
  });

  it('chat web scraping reads an allowed public page (the refusals above are not an unreachable engine)', async () => {
    const { status } = await send(
      ENTRY_POINTS.find((entry) => entry.skipsFailures === true)!,
      `${publicOrigin}/page`,
    );
    assert.equal(status, 200);
    assert.match(JSON.stringify(replay.requests.at(-1)?.body), /public page about the lagoon/);
  });
});
