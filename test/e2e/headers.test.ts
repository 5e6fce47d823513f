// rialto-test: sqlite-only
// Response headers (INVENTORY §3, §0 Compression, §11 #26-27): request ids, x-venice-* on every answer,
// model and deprecation headers on inference, compression, and CORS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';

let rialto: TestRialto;
const DEPRECATION = {
  date: '2026-01-15T00:00:00.000Z',
  removesAt: '2999-01-01T00:00:00.000Z',
  replacementModelId: 'tiny',
};

before(async () => {
  const path = await tinyModelPath();
  const engine = { kind: 'llama-cpp', path, threads: 1, sequences: 1 };
  rialto = await startRialto({
    server: { hostName: 'rialto-test-host' },
    models: [
      { id: 'tiny', name: 'Tiny Llama', engine, contextLength: 256 },
      { id: 'tiny-old', engine, contextLength: 256, deprecation: DEPRECATION },
      { id: 'tiny-embed', type: 'embedding', engine, contextLength: 256 },
    ],
  });
});

after(async () => {
  await rialto.close();
});

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  auth?: boolean;
}

async function send(
  path: string,
  options: Sent = {},
): Promise<{ response: Response; bytes: Buffer }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.auth !== false) headers.authorization = `Bearer ${rialto.inferenceKey}`;
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

const chatBody = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'tiny',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 4,
  temperature: 0,
  ...extra,
});

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function assertBaseHeaders(response: Response, label: string): string {
  const ray = response.headers.get('cf-ray');
  assert.ok(ray !== null && ray.length > 0, `${label}: cf-ray`);
  assert.equal(response.headers.get('x-request-id'), ray, `${label}: x-request-id equals cf-ray`);
  assert.equal(
    response.headers.get('x-venice-version'),
    '20260821.193530',
    `${label}: x-venice-version`,
  );
  const timestamp = response.headers.get('x-venice-timestamp');
  assert.match(timestamp ?? '', ISO_8601, `${label}: x-venice-timestamp`);
  assert.ok(!Number.isNaN(Date.parse(timestamp ?? '')), `${label}: x-venice-timestamp parses`);
  return ray;
}

describe('headers on every response', () => {
  it('public, authenticated, success and error answers carry request id, version and timestamp; ids are unique', async () => {
    const cases: [string, Sent, number][] = [
      ['/models', { auth: false }, 200],
      ['/models/traits', { auth: false }, 200],
      ['/models', { auth: true }, 200],
      ['/chat/completions', { body: chatBody() }, 200],
      ['/embeddings', { body: { model: 'tiny-embed', input: 'hello' } }, 200],
      ['/chat/completions', { body: chatBody(), auth: false }, 401],
      ['/chat/completions', { body: { model: 'tiny' } }, 400],
      ['/chat/completions', { body: chatBody({ model: 'nope' }) }, 404],
      ['/does-not-exist', {}, 404],
      ['/chat/completions', { headers: { 'content-type': 'text/plain' }, method: 'POST' }, 415],
    ];
    const rays = new Set<string>();
    for (const [path, options, status] of cases) {
      const { response } = await send(path, options);
      const label = `${options.method ?? ''} ${path} → ${status}`;
      assert.equal(response.status, status, label);
      rays.add(assertBaseHeaders(response, label));
      if (status >= 400)
        assert.equal(
          response.headers.get('x-venice-host-name'),
          'rialto-test-host',
          `${label}: x-venice-host-name`,
        );
    }
    assert.equal(rays.size, cases.length, 'every request gets its own id');
  });

  it('a client-sent x-request-id does not replace ours', async () => {
    const { response } = await send('/models', { headers: { 'x-request-id': 'client-chosen-id' } });
    assert.notEqual(response.headers.get('x-request-id'), 'client-chosen-id');
    assert.equal(response.headers.get('x-request-id'), response.headers.get('cf-ray'));
  });

  it('a streamed chat carries the same headers', async () => {
    const { response, bytes } = await send('/chat/completions', {
      body: chatBody({ stream: true }),
    });
    assert.equal(response.status, 200);
    assertBaseHeaders(response, 'stream');
    assert.equal(response.headers.get('x-venice-model-id'), 'tiny');
    assert.match(bytes.toString('utf8'), /data: \[DONE\]/);
  });
});

describe('model headers', () => {
  it('chat and embeddings name the model and the router', async () => {
    const { response: chat } = await send('/chat/completions', { body: chatBody() });
    assert.equal(chat.headers.get('x-venice-model-id'), 'tiny');
    assert.equal(chat.headers.get('x-venice-model-name'), 'Tiny Llama');
    assert.equal(chat.headers.get('x-venice-model-router'), 'llama-cpp');
    assert.equal(
      chat.headers.get('x-venice-deprecated'),
      null,
      'no deprecation headers on a current model',
    );
    const { response: embedding } = await send('/embeddings', {
      body: { model: 'tiny-embed', input: 'hello' },
    });
    assert.equal(embedding.status, 200);
    assert.equal(embedding.headers.get('x-venice-model-id'), 'tiny-embed');
    assert.equal(embedding.headers.get('x-venice-model-name'), 'tiny-embed');
    assert.equal(embedding.headers.get('x-venice-model-router'), 'llama-cpp');
  });

  it('a deprecated model sends the deprecation headers', async () => {
    const { response } = await send('/chat/completions', { body: chatBody({ model: 'tiny-old' }) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-model-id'), 'tiny-old');
    assert.ok((response.headers.get('x-venice-model-deprecation-warning') ?? '').length > 0);
    assert.equal(response.headers.get('x-venice-model-deprecation-date'), DEPRECATION.date);
    assert.equal(response.headers.get('x-venice-deprecated'), 'true');
    assert.equal(response.headers.get('x-venice-deprecated-replacement'), 'tiny');
  });
});

/** node:http, not fetch: fetch decodes Content-Encoding itself, and these tests need the bytes as sent. */
function rawRequest(
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = httpRequest(
      `${rialto.baseURL}${path}`,
      {
        method: payload === undefined ? 'GET' : 'POST',
        headers: {
          ...headers,
          authorization: `Bearer ${rialto.inferenceKey}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            bytes: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

describe('compression', () => {
  const decoders = { gzip: gunzipSync, br: brotliDecompressSync } as const;

  for (const encoding of ['gzip', 'br'] as const) {
    it(`Accept-Encoding: ${encoding} compresses /models and a non-stream chat`, async () => {
      // /models lists three models (well over 1 KiB); n: 3 makes the chat answer large enough too.
      for (const [path, body] of [
        ['/models?type=all', undefined],
        ['/chat/completions', chatBody({ n: 3 })],
      ] as const) {
        const { status, headers, bytes } = await rawRequest(
          path,
          { 'accept-encoding': encoding },
          body,
        );
        assert.equal(status, 200);
        assert.equal(headers['content-encoding'], encoding, path);
        const json = JSON.parse(decoders[encoding](bytes).toString('utf8')) as { object?: string };
        assert.equal(json.object, body === undefined ? 'list' : 'chat.completion', path);
      }
    });
  }

  it('a stream is never compressed', async () => {
    const { status, headers, bytes } = await rawRequest(
      '/chat/completions',
      { 'accept-encoding': 'gzip, br' },
      chatBody({ stream: true, n: 3 }),
    );
    assert.equal(status, 200);
    assert.equal(headers['content-encoding'], undefined);
    assert.match(bytes.toString('utf8'), /^data: \{/);
  });

  it('without Accept-Encoding nothing is compressed', async () => {
    const { headers, bytes } = await rawRequest('/models?type=all', {
      'accept-encoding': 'identity',
    });
    assert.equal(headers['content-encoding'], undefined);
    assert.equal((JSON.parse(bytes.toString('utf8')) as { object: string }).object, 'list');
  });

  it('a small non-stream chat answer is compressed too', async () => {
    const { headers } = await rawRequest(
      '/chat/completions',
      { 'accept-encoding': 'gzip' },
      chatBody({ max_tokens: 1 }),
    );
    assert.equal(headers['content-encoding'], 'gzip');
  });
});

describe('CORS', () => {
  it('a preflight from an Origin is allowed', async () => {
    const { response } = await send('/chat/completions', {
      method: 'OPTIONS',
      auth: false,
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.ok(response.status === 204 || response.status === 200, String(response.status));
    assert.ok(
      ['*', 'https://app.example'].includes(
        response.headers.get('access-control-allow-origin') ?? '',
      ),
    );
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
  });

  it('a cross-origin answer exposes cf-ray and x-venice-* headers', async () => {
    const { response } = await send('/chat/completions', {
      body: chatBody(),
      headers: { origin: 'https://app.example' },
    });
    assert.ok(
      ['*', 'https://app.example'].includes(
        response.headers.get('access-control-allow-origin') ?? '',
      ),
    );
    const exposed = (response.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase());
    for (const name of [
      'cf-ray',
      'x-request-id',
      'x-venice-version',
      'x-venice-timestamp',
      'x-venice-model-id',
      'x-venice-model-router',
      'x-venice-deprecated',
    ]) {
      assert.ok(exposed.includes(name), `${name} exposed`);
    }
  });

  it('a preflight carries the request-id headers too', async () => {
    const { response } = await send('/chat/completions', {
      method: 'OPTIONS',
      auth: false,
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assertBaseHeaders(response, 'preflight');
  });
});
