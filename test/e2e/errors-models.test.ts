// rialto-test: sqlite-only
// Error answers that depend on the model (INVENTORY §2.3, §2.4, §2.8, §4): unknown or wrong-type models,
// venice_parameters the server cannot honour, capability mismatches, context overflow and capacity.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

let rialto: TestRialto;

before(async () => {
  const path = await tinyModelPath();
  rialto = await startRialto({
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
      // One sequence and no queue: a second request while one generates is refused at once.
      {
        id: 'tiny-busy',
        engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1, maxQueue: 0 },
        contextLength: 16384,
      },
    ],
  });
});

after(async () => {
  await rialto.close();
});

async function post(path: string, payload: unknown, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rialto.inferenceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await response.text();
  assert.doesNotMatch(
    text,
    /\n\s+at |\/(?:work|src|tmp|node_modules)\/|\.ts:\d+/,
    'no stack or path in the body',
  );
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

const hello = [{ role: 'user', content: 'hi' }];
const chat = (extra: Record<string, unknown>): Record<string, unknown> => ({
  model: 'tiny',
  messages: hello,
  max_tokens: 4,
  temperature: 0,
  ...extra,
});

/** A 400 whose body is StandardError/DetailedError with a message matching `pattern`. */
async function expectBadRequest(
  payload: Record<string, unknown>,
  pattern: RegExp,
  path = '/chat/completions',
): Promise<Answer> {
  const answer = await post(path, payload);
  assert.equal(answer.status, 400, answer.text);
  assert.equal(typeof answer.body.error, 'string');
  assert.match(String(answer.body.error), pattern);
  validateResponse({ method: 'POST', path, status: 400, body: answer.body });
  return answer;
}

describe('model resolution errors', () => {
  it('an unknown model is 404 MODEL_NOT_FOUND on chat and embeddings', async () => {
    for (const [path, payload] of [
      ['/chat/completions', chat({ model: 'no-such-model' })],
      ['/embeddings', { model: 'no-such-model', input: 'x' }],
    ] as const) {
      const answer = await post(path, payload);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, { error: 'Specified model not found' });
      validateSchema('StandardError', answer.body); // the swagger documents no 404 for these operations
    }
  });

  it('the openai client sees a NotFoundError', async () => {
    await assert.rejects(
      rialto.client.chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        return true;
      },
    );
  });

  it('a model of the wrong type is 400 INVALID_MODEL', async () => {
    const asChat = await post('/chat/completions', chat({ model: 'tiny-embed' }));
    assert.equal(asChat.status, 400);
    assert.deepEqual(asChat.body, { error: 'Invalid model specified' });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 400, body: asChat.body });
    const asEmbedding = await post('/embeddings', { model: 'tiny', input: 'x' });
    assert.equal(asEmbedding.status, 400);
    assert.deepEqual(asEmbedding.body, { error: 'Invalid model specified' });
  });

  it('a bad feature-suffix key is a 400 naming it', async () => {
    const answer = await expectBadRequest(
      chat({ model: 'tiny:nope=1' }),
      /Invalid request parameters/,
    );
    assert.match(JSON.stringify(answer.body.details), /Unrecognized key\(s\) in object: 'nope'/);
  });
});

describe('venice_parameters the server cannot honour', () => {
  it('an unknown character_slug is 404 CHARACTER_NOT_FOUND', async () => {
    const answer = await post(
      '/chat/completions',
      chat({ venice_parameters: { character_slug: 'nobody' } }),
    );
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, {
      error: 'No character could be found from the provided character_slug',
    });
    validateSchema('StandardError', answer.body);
  });

  it('web search on or auto, in the body or the suffix, is a clear 400', async () => {
    for (const payload of [
      chat({ venice_parameters: { enable_web_search: 'on' } }),
      chat({ venice_parameters: { enable_web_search: 'auto' } }),
      chat({ model: 'tiny:enable_web_search=on' }),
      chat({ tools: [{ type: 'web_search' }] }),
    ]) {
      await expectBadRequest(payload, /web search/i);
    }
    // "off" is the default and works.
    assert.equal(
      (
        await post(
          '/chat/completions',
          chat({ max_tokens: 1, venice_parameters: { enable_web_search: 'off' } }),
        )
      ).status,
      200,
    );
  });
});

describe('capability mismatches', () => {
  it('tool_choice naming a function not in tools is a 400', async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
      },
    ];
    await expectBadRequest(
      chat({ tools, tool_choice: { type: 'function', function: { name: 'launch_rocket' } } }),
      /launch_rocket/,
    );
  });

  it('an image_url part on a model without vision is a 400', async () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ];
    await expectBadRequest(chat({ messages }), /image/i);
  });
});

describe('context length (400, OpenAI-shaped)', () => {
  it('a prompt longer than the context gets context_length_exceeded', async () => {
    const answer = await post(
      '/chat/completions',
      chat({ messages: [{ role: 'user', content: 'hello world '.repeat(200) }] }),
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: {
        message:
          "Your request exceeds the model's maximum context. Please reduce your prompt or completion length.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    });
    // Note: the swagger's chat 400 is DetailedError (error: string); this body follows error-codes.mdx instead.
  });

  it('the openai client reads the nested message and code', async () => {
    await assert.rejects(
      rialto.client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hello world '.repeat(200) }],
        max_tokens: 4,
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, 'context_length_exceeded');
        assert.equal(error.param, 'messages');
        return true;
      },
    );
  });
});

describe('capacity (503 MODEL_AT_CAPACITY)', () => {
  it('a second request while a stream holds the only sequence is refused', async () => {
    const holder = new AbortController();
    const response = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'tiny-busy',
        messages: hello,
        max_tokens: 16000,
        temperature: 0,
        stream: true,
      }),
      signal: holder.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    try {
      // The first chunk means the stream's sequence is taken; 16,000 tokens hold it for many seconds (a wide margin
      // under load), and the stream is aborted right after the refusal.
      const first = await reader.read();
      assert.equal(first.done, false);
      const answer = await post('/chat/completions', {
        model: 'tiny-busy',
        messages: hello,
        max_tokens: 1,
        stream: false,
      });
      assert.equal(answer.status, 503, answer.text);
      assert.deepEqual(answer.body, { error: 'The model is at capacity. Please try again later.' });
      validateResponse({
        method: 'POST',
        path: '/chat/completions',
        status: 503,
        body: answer.body,
      });
    } finally {
      holder.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it('the sequence is free again once the stream is gone', async () => {
    // The aborted stream frees its sequence; a request retried after a refusal eventually gets through.
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      answer = await post('/chat/completions', {
        model: 'tiny-busy',
        messages: hello,
        max_tokens: 1,
        temperature: 0,
      });
      if (answer.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(answer?.status, 200, answer?.text);
  });
});
