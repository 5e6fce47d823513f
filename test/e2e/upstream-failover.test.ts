// rialto-test: sqlite-only
// End-to-end failure handling of the openai-compatible engine against real replay servers: failover
// between endpoints, overload/capacity mapping, unreachable endpoints, context overflow, timeouts,
// failures in the middle of a stream and client aborts that must close the upstream connection.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  UPSTREAM_FLAVORS,
  type ReplayServer,
  type UpstreamFlavor,
} from '../support/upstream/upstream-replay-server.ts';
import { validateChatCompletionChunk } from '../support/spec/spec-validator.ts';
import {
  chatModel,
  embeddingModel,
  eventually,
  hostOf,
  postJson,
  sseData,
} from './upstream-support.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

const PLAIN = 'Hello there, nice to meet!';
const OVERLOADED = { error: 'The model is currently overloaded. Please try again later.' };
const AT_CAPACITY = { error: 'The model is at capacity. Please try again later.' };
const TIMED_OUT = {
  error:
    'The request took too long to complete and was timed-out. For long-running inference requests, use the streaming API by setting `stream=true` in your request.',
};
const INFERENCE_FAILED = {
  message: 'Inference processing failed',
  code: 'INFERENCE_FAILED',
  status: 500,
};
const CONTEXT_ERROR = {
  error: {
    message:
      "Your request exceeds the model's maximum context. Please reduce your prompt or completion length.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
};

function upstreamFailure(status: number): { status: number; body: unknown } {
  return {
    status,
    body: {
      error: {
        message: `upstream says ${status}`,
        type: 'ServiceUnavailableError',
        param: null,
        code: status,
      },
    },
  };
}

/** A port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function chat(
  model: string,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: text }], ...extra };
}

describe('openai-compatible failover and failures', () => {
  let first: ReplayServer;
  let second: ReplayServer;
  let hanging: ReplayServer;
  let slow: ReplayServer;
  const byFlavor = new Map<UpstreamFlavor, ReplayServer>();
  let rialto: TestRialto;
  let deadUrl: string;

  before(async () => {
    const start = (): Promise<ReplayServer> => startReplayServer({ flavor: 'vllm' });
    [first, second, hanging, slow] = await Promise.all([start(), start(), start(), start()]);
    for (const flavor of UPSTREAM_FLAVORS)
      byFlavor.set(flavor, await startReplayServer({ flavor }));
    hanging.setBehavior({ hang: true });
    deadUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    const models = [
      chatModel('pair', 'vllm', [first.url, second.url]),
      chatModel('pair-stream', 'vllm', [first.url, second.url]),
      chatModel('pair-fail', 'vllm', [first.url, second.url]),
      chatModel('dead-first', 'vllm', [deadUrl, second.url]),
      chatModel('all-dead', 'vllm', [deadUrl]),
      chatModel('hangs', 'vllm', [hanging.url], { timeoutMs: 300 }),
      chatModel('slow', 'vllm', [slow.url]),
      ...UPSTREAM_FLAVORS.flatMap((flavor) => [
        chatModel(`chat-${flavor}`, flavor, [byFlavor.get(flavor)?.url ?? '']),
        embeddingModel(`embed-${flavor}`, flavor, byFlavor.get(flavor)?.url ?? ''),
      ]),
    ];
    rialto = await startRialto({ models });
  });
  after(async () => {
    await rialto.close();
    await Promise.all(
      [first, second, hanging, slow, ...byFlavor.values()].map((server) => server.close()),
    );
  });

  test('the first endpoint answering 503: the request succeeds on the second (non-stream and stream)', async () => {
    first.setBehavior({ failWith: upstreamFailure(503) });
    try {
      for (const [model, stream] of [
        ['pair', false],
        ['pair-stream', true],
      ] as const) {
        const [firstBefore, secondBefore] = [first.requests.length, second.requests.length];
        const response = await postJson(
          rialto,
          '/chat/completions',
          chat(model, '#plain hi', { stream }),
        );
        assert.equal(response.status, 200, model);
        assert.equal(
          response.headers.get('x-venice-model-router'),
          `openai-compatible/${hostOf(second.url)}`,
          model,
        );
        const text = await response.text();
        if (stream) assert.equal(sseData(text).at(-1), '[DONE]');
        else
          assert.equal(
            (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]
              ?.message.content,
            PLAIN,
          );
        assert.equal(
          first.requests.length,
          firstBefore + 1,
          `${model}: the first endpoint was tried`,
        );
        assert.equal(
          second.requests.length,
          secondBefore + 1,
          `${model}: the second endpoint answered`,
        );
      }
    } finally {
      first.resetBehavior();
    }
  });

  test('both endpoints failing: 429 → 429 MODEL_OVERLOADED, 503 → 503 MODEL_AT_CAPACITY', async () => {
    const cases = [
      [429, OVERLOADED],
      [503, AT_CAPACITY],
    ] as const;
    try {
      for (const [status, expected] of cases) {
        first.setBehavior({ failWith: upstreamFailure(status) });
        second.setBehavior({ failWith: upstreamFailure(status) });
        for (const stream of [false, true]) {
          const [firstBefore, secondBefore] = [first.requests.length, second.requests.length];
          const response = await postJson(
            rialto,
            '/chat/completions',
            chat('pair-fail', '#plain hi', { stream }),
          );
          assert.equal(response.status, status, `stream=${stream}`);
          assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
          assert.match(response.headers.get('x-request-id') ?? '', /\S/);
          assert.deepEqual(await response.json(), expected);
          assert.equal(first.requests.length, firstBefore + 1, 'the first endpoint was tried');
          assert.equal(second.requests.length, secondBefore + 1, 'the second endpoint was tried');
        }
        await assert.rejects(
          rialto.client.chat.completions.create({
            model: 'pair-fail',
            messages: [{ role: 'user', content: '#plain hi' }],
          }),
          (error: unknown) => error instanceof APIError && error.status === status,
        );
      }
    } finally {
      first.resetBehavior();
      second.resetBehavior();
    }
  });

  test('an unreachable endpoint (closed port) fails over to the next one; alone it is MODEL_OFFLINE', async () => {
    const seen = second.requests.length;
    const { data, response } = await rialto.client.chat.completions
      .create({ model: 'dead-first', messages: [{ role: 'user', content: '#plain hi' }] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, PLAIN);
    assert.equal(
      response.headers.get('x-venice-model-router'),
      `openai-compatible/${hostOf(second.url)}`,
    );
    assert.equal(second.requests.length, seen + 1);
    const alone = await postJson(rialto, '/chat/completions', chat('all-dead', '#plain hi'));
    assert.equal(alone.status, 503);
    assert.deepEqual(await alone.json(), {
      error: 'The model is temporarily offline. Please try again later.',
    });
  });

  for (const flavor of UPSTREAM_FLAVORS) {
    test(`${flavor}: a context overflow is a 400 in the OpenAI shape`, async () => {
      const replay = byFlavor.get(flavor);
      assert.ok(replay !== undefined);
      // Ollama truncates chat prompts silently; its context error comes from /embeddings.
      const attempts: { path: string; body: Record<string, unknown> }[] =
        flavor === 'ollama'
          ? [
              {
                path: '/embeddings',
                body: { model: `embed-${flavor}`, input: '#context-length a very long text' },
              },
            ]
          : [false, true].map((stream) => ({
              path: '/chat/completions',
              body: chat(`chat-${flavor}`, '#context-length Summarise this', { stream }),
            }));
      if (flavor === 'vllm')
        attempts.push({
          path: '/chat/completions',
          body: chat('chat-vllm', '#context-length-legacy Summarise this'),
        });
      for (const { path, body } of attempts) {
        const seen: number = replay.requests.length;
        const response = await postJson(rialto, path, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        const answer = (await response.json()) as typeof CONTEXT_ERROR;
        if (path === '/embeddings')
          assert.deepEqual(answer.error, { ...CONTEXT_ERROR.error, param: 'input' });
        else assert.deepEqual(answer, CONTEXT_ERROR);
        assert.equal(replay.requests.length, seen + 1, 'the upstream was asked once');
      }
      if (flavor !== 'ollama') {
        await assert.rejects(
          rialto.client.chat.completions.create({
            model: `chat-${flavor}`,
            messages: [{ role: 'user', content: '#context-length x' }],
          }),
          (error: unknown) =>
            error instanceof APIError &&
            error.status === 400 &&
            error.code === 'context_length_exceeded' &&
            error.param === 'messages',
        );
      }
    });
  }

  test('an upstream that never answers: 504 REQUEST_TIMEOUT after the model timeout', async () => {
    for (const stream of [false, true]) {
      const seen = hanging.requests.length;
      const response = await postJson(
        rialto,
        '/chat/completions',
        chat('hangs', '#plain hi', { stream }),
      );
      assert.equal(response.status, 504, `stream=${stream}`);
      assert.deepEqual(await response.json(), TIMED_OUT);
      assert.equal(hanging.requests.length, seen + 1);
    }
  });

  for (const flavor of UPSTREAM_FLAVORS) {
    test(`${flavor}: a stream that fails midway ends with an error event; the client throws APIError`, async () => {
      const replay = byFlavor.get(flavor);
      assert.ok(replay !== undefined);
      const hasMidstream = replay.recordings.some(
        (recording) => recording.match.key === '#midstream-error',
      );
      const ways = [
        ...(hasMidstream ? [{ text: '#midstream-error Hello', drop: undefined }] : []),
        { text: '#plain hi', drop: 3 },
      ];
      try {
        for (const way of ways) {
          // The delay lets the chunks before the drop arrive on their own (a socket torn down with data
          // still unread by the engine loses that data, and the failure would come before the first byte).
          replay.setBehavior({
            dropAfterChunks: way.drop,
            chunkDelayMs: way.drop === undefined ? undefined : 30,
          });
          const response = await postJson(
            rialto,
            '/chat/completions',
            chat(`chat-${flavor}`, way.text, { stream: true }),
          );
          assert.equal(response.status, 200, way.text);
          const events = sseData(await response.text());
          assert.ok(!events.includes('[DONE]'), `${way.text}: no [DONE] after a failure`);
          const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Chunk);
          for (const chunk of chunks) validateChatCompletionChunk(chunk);
          const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
          assert.ok(
            content !== '' &&
              (way.drop === undefined
                ? content === 'Hel'
                : PLAIN.startsWith(content) && content !== PLAIN),
            `${way.text}: content before the error: ${content}`,
          );
          assert.deepEqual(JSON.parse(events.at(-1) ?? ''), { error: INFERENCE_FAILED }, way.text);

          const stream = await rialto.client.chat.completions.create({
            model: `chat-${flavor}`,
            messages: [{ role: 'user', content: way.text }],
            stream: true,
          });
          let received = '';
          await assert.rejects(
            (async () => {
              for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
            })(),
            (error: unknown) =>
              error instanceof APIError && error.message.includes('Inference processing failed'),
          );
          assert.ok(
            received !== '' &&
              PLAIN.startsWith(received.slice(0, 3)) &&
              (way.drop !== undefined || received === 'Hel'),
            `${way.text}: the client saw chunks before the error: ${received}`,
          );
        }
      } finally {
        replay.resetBehavior();
      }
    });
  }

  test('a client that aborts a stream midway closes the upstream connection (fetch and openai client)', async () => {
    // 2 s between events: a stream left running would hold its connection far longer than the polls
    // below wait. undici reconnects an idle socket after an aborted request and drops it when idle
    // (seconds), so "0 open connections" comes a little after the abort, never before the stream ends
    // unless the abort reached the upstream.
    slow.setBehavior({ chunkDelayMs: 2000 });
    try {
      // fetch: read until the first content arrives, then abort.
      const controller = new AbortController();
      const response = await postJson(
        rialto,
        '/chat/completions',
        chat('slow', '#plain hi', { stream: true }),
        controller.signal,
      );
      assert.equal(response.status, 200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('"content":"Hello"')) {
        const { done, value } = await reader.read();
        assert.equal(done, false, 'the stream ended before any content');
        text += new TextDecoder().decode(value);
      }
      assert.equal(slow.openConnections, 1, 'the upstream connection is open while streaming');
      controller.abort();
      assert.ok(
        await eventually(() => slow.openConnections === 0, 400),
        `upstream connections still open: ${slow.openConnections}`,
      );

      // openai client: leaving the loop after the first content chunk aborts its request.
      const stream = await rialto.client.chat.completions.create({
        model: 'slow',
        messages: [{ role: 'user', content: '#plain hi' }],
        stream: true,
      });
      let received = '';
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (received !== '') break;
      }
      assert.equal(received, 'Hello');
      assert.equal(stream.controller.signal.aborted, true);
      assert.ok(
        await eventually(() => slow.openConnections === 0, 400),
        `upstream connections still open: ${slow.openConnections}`,
      );
      assert.equal(slow.requests.length, 2);
    } finally {
      slow.resetBehavior();
    }
  });

  test('a client that aborts a non-stream request closes the upstream connection', async () => {
    slow.setBehavior({ hang: true });
    try {
      const seen = slow.requests.length;
      const controller = new AbortController();
      const pending = postJson(
        rialto,
        '/chat/completions',
        chat('slow', '#plain hi'),
        controller.signal,
      );
      assert.ok(
        await eventually(() => slow.requests.length === seen + 1),
        'the upstream got the request',
      );
      assert.equal(slow.openConnections, 1);
      controller.abort();
      await assert.rejects(pending);
      assert.ok(
        await eventually(() => slow.openConnections === 0, 400),
        `upstream connections still open: ${slow.openConnections}`,
      );
    } finally {
      slow.resetBehavior();
    }
  });
});
