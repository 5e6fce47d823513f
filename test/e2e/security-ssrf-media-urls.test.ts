// rialto-test: sqlite-only
// Issue #15.5, SSRF through the upstream: the URL of a chat `image_url` or `video_url` part (and of a /responses
// `input_image`) is no longer forwarded to the engine, which would fetch it from its own network (vLLM does):
// Rialto fetches it under config.fetch's rules once the request is admitted and paid for, and the engine gets a
// data: URL. A private address in any spelling is a 400 with the reservation released, and the upstream — a replay
// server that records what it receives — never sees the request; a public image reaches it as its bytes.
// Loopback is private, so the "public" host is 127.0.0.2, allowed by fetch.allowHosts (as in security-ssrf.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { bodyOf, chatModel, lastRequest } from './upstream-support.ts';
import { listenOnHost, stopServer } from '../support/listen-on-host.ts';

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
/** The start of an MP4: a box whose type is `ftyp`. */
const MP4 = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from('ftypisom'),
  Buffer.alloc(64, 1),
]);

describe('SSRF: media URLs in chat reach the upstream only as the bytes Rialto fetched', () => {
  let rialto: TestRialto;
  let replay: ReplayServer;
  let canary: Server;
  let canaryPort = 0;
  let canaryHits = 0;
  let publicServer: Server;
  let publicOrigin = '';
  const publicHits: string[] = [];

  before(async () => {
    canary = createServer((_request, response) => {
      canaryHits += 1;
      response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    });
    canaryPort = await listenOnHost(canary, '127.0.0.1');
    publicServer = createServer((request, response) => {
      publicHits.push(request.url ?? '');
      switch (request.url) {
        case '/cat.png':
          return void response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        case '/cat':
          return void response
            .writeHead(200, { 'content-type': 'application/octet-stream' })
            .end(PNG);
        case '/clip.mp4':
          return void response.writeHead(200, { 'content-type': 'video/mp4' }).end(MP4);
        case '/page':
          return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
        case '/not-an-image':
          return void response
            .writeHead(200, { 'content-type': 'application/octet-stream' })
            .end('plain words');
        case '/to-metadata':
          return void response
            .writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' })
            .end();
        case '/to-canary':
          return void response
            .writeHead(302, { location: `http://127.0.0.1:${canaryPort}/x.png` })
            .end();
        default:
          return void response.writeHead(404).end();
      }
    });
    publicOrigin = `http://127.0.0.2:${await listenOnHost(publicServer, '127.0.0.2')}`;
    replay = await startReplayServer({ flavor: 'vllm' });
    rialto = await startRialto({
      systemPrompt: '',
      fetch: { allowHosts: ['127.0.0.2'], timeoutMs: 5000 },
      models: [
        {
          ...chatModel('seer', 'vllm', [replay.url]),
          capabilities: {
            supportsVision: true,
            supportsMultipleImages: true,
            maxImages: 4,
            supportsVideoInput: true,
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await replay?.close();
    await Promise.all(
      [canary, publicServer].filter((server) => server !== undefined).map(stopServer),
    );
  });

  const image = (url: string): Record<string, unknown> => ({
    type: 'image_url',
    image_url: { url, detail: 'low' },
  });
  const chat = (
    parts: Record<string, unknown>[],
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    model: 'seer',
    messages: [
      { role: 'user', content: [{ type: 'text', text: '#plain what is in it?' }, ...parts] },
    ],
    ...extra,
  });

  async function post(
    path: string,
    body: unknown,
    key = rialto.inferenceKey,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: JSON.parse(await response.text()) as Record<string, unknown>,
    };
  }

  /** Every byte the upstream has received, as one string. */
  const upstreamSaw = (): string => JSON.stringify(replay.requests.map((request) => request.body));

  it('the metadata address in image_url is a 400, the upstream never sees it, and the reservation is released', async () => {
    const before = await rialto.store.accounts.find('default');
    const calls = replay.requests.length;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/iam/',
      `${publicOrigin}/to-metadata`,
    ]) {
      for (const stream of [false, true]) {
        const { status, body } = await post('/chat/completions', chat([image(url)], { stream }));
        assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
        assert.match(
          String(body.error),
          /Could not fetch image_url: the URL points to a private address/,
        );
        validateResponse({ method: 'POST', path: '/chat/completions', status, body });
      }
    }
    assert.equal(replay.requests.length, calls, 'no request reached the upstream');
    assert.ok(!upstreamSaw().includes('169.254.169.254'));
    assert.deepEqual(
      await rialto.store.accounts.find('default'),
      before,
      'the reservations were released, nothing charged',
    );
  });

  it('private and loopback addresses in every spelling, also after a redirect, in image_url and video_url, are refused', async () => {
    const calls = replay.requests.length;
    const urls = [
      `http://127.0.0.1:${canaryPort}/x.png`,
      `http://localhost:${canaryPort}/x.png`,
      `http://2130706433:${canaryPort}/x.png`,
      `http://0x7f000001:${canaryPort}/x.png`,
      `http://[::ffff:127.0.0.1]:${canaryPort}/x.png`,
      `http://[64:ff9b::7f00:1]:${canaryPort}/x.png`,
      `http://[2002:7f00:1::1]:${canaryPort}/x.png`,
      'http://10.0.0.1/x.png',
      'http://[fd00::1]/x.png',
      `${publicOrigin}/to-canary`,
    ];
    for (const url of urls) {
      for (const part of [image(url), { type: 'video_url', video_url: { url } }]) {
        const { status, body } = await post('/chat/completions', chat([part]));
        assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
        assert.match(
          String(body.error),
          /the URL points to a private address|could not be reached \(ENOTFOUND\)/,
          url,
        );
      }
    }
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.2/x.png', 'gopher://127.0.0.2/x']) {
      assert.equal((await post('/chat/completions', chat([image(url)]))).status, 400, url);
    }
    assert.equal(canaryHits, 0, 'no connection reached the private canary');
    assert.equal(replay.requests.length, calls, 'no request reached the upstream');
  });

  it('a public image and video reach the upstream as data: URLs of their bytes; what is not an image is a 400', async () => {
    const completion = await post(
      '/chat/completions',
      chat([
        image(`${publicOrigin}/cat.png`),
        image(`${publicOrigin}/cat`),
        { type: 'video_url', video_url: { url: `${publicOrigin}/clip.mp4` } },
      ]),
    );
    assert.equal(completion.status, 200, JSON.stringify(completion.body));
    const messages = bodyOf(lastRequest(replay)).messages as { content: unknown }[];
    const png = `data:image/png;base64,${PNG.toString('base64')}`;
    assert.deepEqual(messages.at(-1)!.content, [
      { type: 'text', text: '#plain what is in it?' },
      { type: 'image_url', image_url: { url: png, detail: 'low' } },
      // application/octet-stream: the type is read from the bytes.
      { type: 'image_url', image_url: { url: png, detail: 'low' } },
      { type: 'video_url', video_url: { url: `data:video/mp4;base64,${MP4.toString('base64')}` } },
    ]);
    assert.ok(!upstreamSaw().includes(publicOrigin), 'the upstream never got a URL to fetch');
    // A client's own data: URL passes as it was sent.
    assert.equal((await post('/chat/completions', chat([image(png)]))).status, 200);
    for (const path of ['/page', '/not-an-image', '/missing.png']) {
      const { status, body } = await post(
        '/chat/completions',
        chat([image(`${publicOrigin}${path}`)]),
      );
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.match(String(body.error), /Could not fetch image_url/, path);
    }
  });

  it('a request with more file URLs than fetch.perRequest.maxUrls is a 400 after at most that many downloads, not forty at once', async () => {
    // image_url parts are cut to the model's maxImages before anything is fetched; file parts are all read.
    const calls = replay.requests.length;
    const notes = (): number => publicHits.filter((path) => path.startsWith('/notes-')).length;
    const files = Array.from({ length: 40 }, (_, index) => ({
      type: 'file',
      file: { filename: `notes-${index}.txt`, file_data: `${publicOrigin}/notes-${index}.txt` },
    }));
    const { status, body } = await post('/chat/completions', chat(files));
    assert.equal(status, 400, JSON.stringify(body));
    assert.match(String(body.error), /at most 16 URLs/);
    assert.ok(notes() <= 16, `${notes()} downloads for one request`);
    assert.equal(replay.requests.length, calls, 'no request reached the upstream');
  });

  it('/responses input_image URLs follow the same rules', async () => {
    const calls = replay.requests.length;
    const input = (url: string): unknown => [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: '#plain what is in it?' },
          { type: 'input_image', image_url: url },
        ],
      },
    ];
    const refused = await post('/responses', {
      model: 'seer',
      input: input('http://169.254.169.254/latest/meta-data/iam/'),
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(replay.requests.length, calls);
    const served = await post('/responses', {
      model: 'seer',
      input: input(`${publicOrigin}/cat.png`),
    });
    assert.equal(served.status, 200, JSON.stringify(served.body));
    assert.match(JSON.stringify(bodyOf(lastRequest(replay)).messages), /data:image\/png;base64,/);
  });

  it('the URL is fetched only once the request is admitted: a key whose account cannot pay gets its 402 and nothing is fetched', async () => {
    const { apiKey } = await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'unfunded',
      accountId: 'unfunded',
    });
    const images = (): number => publicHits.filter((path) => path === '/cat.png').length;
    const hits = images();
    const { status, body } = await post(
      '/chat/completions',
      chat([image(`${publicOrigin}/cat.png`)]),
      apiKey,
    );
    assert.equal(status, 402, JSON.stringify(body));
    assert.equal(images(), hits, 'the image server was not asked');
  });
});
