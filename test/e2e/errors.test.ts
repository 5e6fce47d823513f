// Error answers of /chat/completions, /embeddings and /models* for bad requests (INVENTORY §4, §2.1, §1.2):
// authentication, body parsing, content type, size and zod validation, checked through real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { openStore } from '../../src/storage/open-store.ts';
import type { Store } from '../../src/storage/store.ts';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

let rialto: TestRialto;
let store: Store;
let keys: KeyService;

before(async () => {
  const path = await tinyModelPath();
  rialto = await startRialto({
    server: { bodyLimit: 1024 },
    models: [
      {
        id: 'tiny',
        engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1 },
        contextLength: 256,
      },
      {
        id: 'tiny-embed',
        type: 'embedding',
        engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1 },
        contextLength: 256,
      },
    ],
  });
  // A second handle on the server's own database, to create and revoke keys behind its back.
  store = await openStore(rialto.config);
  keys = new KeyService(store);
});

after(async () => {
  await store.close();
  await rialto.close();
});

async function send(
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    auth?: string | null;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...init.headers,
  };
  const auth = init.auth === undefined ? `Bearer ${rialto.inferenceKey}` : init.auth;
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method: init.method ?? 'POST',
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  const body: unknown = JSON.parse(text);
  assert.equal(typeof body, 'object');
  assertNoInternals(text);
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: body as Record<string, unknown>,
  };
}

function post(path: string, body: unknown, auth?: string | null): Promise<Answer> {
  return send(path, { body: JSON.stringify(body), ...(auth === undefined ? {} : { auth }) });
}

/** No stack frames, source paths or module names in what a client sees. */
function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat [\w$.<>]+ \(|\n\s+at /, 'stack trace in error body');
  assert.doesNotMatch(
    text,
    /\/(?:work|home|src|tmp|node_modules)\/|\.ts:\d+|file:\/\//,
    'file path in error body',
  );
}

/** The 400 DetailedError of a zod validation failure; returns `details`. */
function assertValidationError(answer: Answer, operation: string): Record<string, unknown> {
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.body.error, 'Invalid request parameters');
  const details = answer.body.details as Record<string, unknown>;
  assert.ok(details !== null && typeof details === 'object', 'details is an object');
  assert.ok(Array.isArray(details._errors), 'details._errors is an array (zod formatError shape)');
  assert.ok(Array.isArray(answer.body.issues), 'issues is an array');
  validateResponse({ method: 'POST', path: operation, status: 400, body: answer.body });
  return details;
}

function fieldErrors(details: Record<string, unknown>, field: string): string[] {
  const entry = details[field] as { _errors?: unknown } | undefined;
  assert.ok(
    entry !== undefined && Array.isArray(entry._errors),
    `details.${field}._errors present: ${JSON.stringify(details)}`,
  );
  return entry._errors as string[];
}

const hello = [{ role: 'user', content: 'hi' }];
const chat = (extra: Record<string, unknown>): Record<string, unknown> => ({
  model: 'tiny',
  messages: hello,
  max_tokens: 4,
  temperature: 0,
  ...extra,
});

describe('authentication (401)', () => {
  const AUTH_FAILED = { error: 'Authentication failed' };

  it('a missing Authorization header is 401 on chat and embeddings', async () => {
    for (const path of ['/chat/completions', '/embeddings']) {
      const answer = await post(path, { model: 'tiny', input: 'x', messages: hello }, null);
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, AUTH_FAILED);
      validateResponse({ method: 'POST', path, status: 401, body: answer.body });
    }
  });

  it('malformed, unknown and non-Bearer credentials are 401', async () => {
    const unknown = `rk-${'0'.repeat(16)}-${'A'.repeat(43)}`;
    const wrongSecret =
      rialto.inferenceKey.slice(0, -1) + (rialto.inferenceKey.endsWith('A') ? 'B' : 'A');
    for (const auth of [
      'Bearer nope',
      'Bearer ',
      `Bearer ${unknown}`,
      `Bearer ${wrongSecret}`,
      `Basic ${rialto.inferenceKey}`,
      rialto.inferenceKey,
    ]) {
      const answer = await post('/chat/completions', chat({}), auth);
      assert.equal(answer.status, 401, auth);
      assert.deepEqual(answer.body, AUTH_FAILED);
    }
  });

  it('a revoked key stops working', async () => {
    const { apiKey, record } = await keys.create({
      apiKeyType: 'INFERENCE',
      description: 'to revoke',
    });
    // Authentication comes before validation: an authenticated bad body is a 400, not a 401.
    assert.equal(
      (await post('/embeddings', { model: 'tiny-embed', input: [1] }, `Bearer ${apiKey}`)).status,
      400,
    );
    assert.equal(await keys.revoke(record.id), true);
    // Revoked from another process (like `rialto keys revoke`): the server trusts a key record it read for at
    // most a second, so the key is refused soon after; poll a bounded number of times.
    let answer = await post('/embeddings', { model: 'tiny-embed', input: [1] }, `Bearer ${apiKey}`);
    for (let attempt = 0; attempt < 60 && answer.status !== 401; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await post('/embeddings', { model: 'tiny-embed', input: [1] }, `Bearer ${apiKey}`);
    }
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, AUTH_FAILED);
  });

  it('the openai client sees an AuthenticationError', async () => {
    const client = new OpenAI({ baseURL: rialto.baseURL, apiKey: 'not-a-key', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.AuthenticationError);
        assert.equal(error.status, 401);
        return true;
      },
    );
  });
});

describe('chat request validation (400 DetailedError)', () => {
  it('missing model and messages are "Required"', async () => {
    const details = assertValidationError(await post('/chat/completions', {}), '/chat/completions');
    assert.deepEqual(fieldErrors(details, 'model'), ['Required']);
    assert.deepEqual(fieldErrors(details, 'messages'), ['Required']);
  });

  it('an unknown top-level key is named in details._errors', async () => {
    const answer = await post('/chat/completions', chat({ foo: 1 }));
    const details = assertValidationError(answer, '/chat/completions');
    assert.deepEqual(details._errors, ["Unrecognized key(s) in object: 'foo'"]);
    const issues = answer.body.issues as { code: string; path: unknown[]; message: string }[];
    assert.ok(
      issues.some((issue) => issue.code === 'unrecognized_keys' && issue.path.length === 0),
    );
  });

  it('an unknown venice_parameters key is refused', async () => {
    const details = assertValidationError(
      await post('/chat/completions', chat({ venice_parameters: { bogus: true } })),
      '/chat/completions',
    );
    assert.deepEqual(fieldErrors(details, 'venice_parameters'), [
      "Unrecognized key(s) in object: 'bogus'",
    ]);
  });

  it('seed must be at least 1', async () => {
    const details = assertValidationError(
      await post('/chat/completions', chat({ seed: 0 })),
      '/chat/completions',
    );
    assert.equal(fieldErrors(details, 'seed').length, 1);
    assert.equal((await post('/chat/completions', chat({ seed: 1, max_tokens: 1 }))).status, 200);
  });

  it('stop takes at most 4 sequences', async () => {
    const details = assertValidationError(
      await post('/chat/completions', chat({ stop: ['a', 'b', 'c', 'd', 'e'] })),
      '/chat/completions',
    );
    assert.ok(fieldErrors(details, 'stop').length >= 1);
    assert.equal(
      (await post('/chat/completions', chat({ stop: ['a', 'b', 'c', 'd'], max_tokens: 1 }))).status,
      200,
    );
  });

  it('an empty text part, an empty messages array and temperature 3 are refused', async () => {
    const emptyPart = await post(
      '/chat/completions',
      chat({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }),
    );
    assertValidationError(emptyPart, '/chat/completions');
    assert.deepEqual(
      (emptyPart.body.issues as { path: unknown[] }[]).map((issue) => issue.path),
      [['messages', 0, 'content', 0, 'text']],
    );
    const noMessages = assertValidationError(
      await post('/chat/completions', chat({ messages: [] })),
      '/chat/completions',
    );
    assert.equal(fieldErrors(noMessages, 'messages').length, 1);
    const hot = assertValidationError(
      await post('/chat/completions', chat({ temperature: 3 })),
      '/chat/completions',
    );
    assert.equal(fieldErrors(hot, 'temperature').length, 1);
  });

  it('the openai client sees a BadRequestError', async () => {
    await assert.rejects(
      rialto.client.chat.completions.create({ model: 'tiny', messages: [], max_tokens: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.status, 400);
        return true;
      },
    );
  });
});

describe('embeddings validation (400)', () => {
  it('token arrays are refused', async () => {
    for (const input of [[1, 2, 3], [[1, 2]]]) {
      const details = assertValidationError(
        await post('/embeddings', { model: 'tiny-embed', input }),
        '/embeddings',
      );
      assert.ok(fieldErrors(details, 'input').length >= 1);
    }
  });

  it('an unknown key is refused', async () => {
    const details = assertValidationError(
      await post('/embeddings', { model: 'tiny-embed', input: 'x', foo: 1 }),
      '/embeddings',
    );
    assert.deepEqual(details._errors, ["Unrecognized key(s) in object: 'foo'"]);
  });

  it('dimensions on a model without custom dimensions is refused', async () => {
    const answer = await post('/embeddings', { model: 'tiny-embed', input: 'x', dimensions: 8 });
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.error), /dimensions/);
    validateResponse({ method: 'POST', path: '/embeddings', status: 400, body: answer.body });
  });
});

describe('body parsing, content type and size', () => {
  it('invalid JSON is a 400', async () => {
    const answer = await send('/chat/completions', { body: '{"model": "tiny",' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'Invalid request parameters');
    validateResponse({ method: 'POST', path: '/chat/completions', status: 400, body: answer.body });
  });

  it('an empty JSON body is a 400', async () => {
    for (const path of ['/chat/completions', '/embeddings']) {
      const answer = await send(path, { body: '' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'Invalid request parameters');
      validateResponse({ method: 'POST', path, status: 400, body: answer.body });
    }
  });

  it('Content-Type text/plain is a 415', async () => {
    for (const path of ['/chat/completions', '/embeddings']) {
      const answer = await send(path, {
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(chat({})),
      });
      assert.equal(answer.status, 415);
      assert.deepEqual(answer.body, { error: 'Invalid request content-type' });
      validateResponse({ method: 'POST', path, status: 415, body: answer.body });
    }
  });

  it('a body over server.bodyLimit is a 413', async () => {
    const answer = await post(
      '/chat/completions',
      chat({ messages: [{ role: 'user', content: 'x'.repeat(2048) }] }),
    );
    assert.equal(answer.status, 413);
    assert.deepEqual(answer.body, {
      error: 'The request payload is too large. Please reduce the size of your request.',
    });
    validateSchema('StandardError', answer.body); // the swagger documents no 413 for chat
  });

  it('an unknown route is a 404 with an error body', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/chat/nope'],
      ['DELETE', '/models'],
    ] as const) {
      const answer = await send(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.equal(typeof answer.body.error, 'string');
      validateSchema('StandardError', answer.body);
    }
  });
});

describe('/models query validation', () => {
  it('an unknown type is a 400 with details', async () => {
    const answer = await send('/models?type=bogus', { method: 'GET', auth: null });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'Invalid request parameters');
    assert.equal(fieldErrors(answer.body.details as Record<string, unknown>, 'type').length, 1);
    validateSchema('DetailedError', answer.body); // the swagger documents no 400 for /models
  });

  it('traits and compatibility_mapping refuse the list-only types', async () => {
    for (const path of ['/models/traits?type=all', '/models/compatibility_mapping?type=nonsense']) {
      const answer = await send(path, { method: 'GET', auth: null });
      assert.equal(answer.status, 400, path);
      validateSchema('DetailedError', answer.body);
    }
  });
});
