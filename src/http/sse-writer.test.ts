import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { closingStream } from '../services/closing-stream.ts';
import { VeniceError } from '../errors/venice-error.ts';
import { headerValue } from './response-headers.ts';
import { writeEventStream } from './sse-writer.ts';

async function* chunks(): AsyncGenerator<Record<string, unknown>> {
  yield { n: 1 };
}

test('headerValue: printable ASCII as it is, anything else (and %) percent-encoded so that it decodes back', () => {
  assert.equal(headerValue('Qwen 3 (8B)'), 'Qwen 3 (8B)');
  assert.equal(headerValue('Upstream — chat'), 'Upstream %E2%80%94 chat');
  for (const text of ['Upstream — chat', '100% sûr', 'line\nbreak', 'emoji 🚀', 'Ünïcödé']) {
    assert.match(headerValue(text), /^[\x20-\x7e]*$/);
    assert.equal(decodeURIComponent(headerValue(text)), text);
  }
  assert.equal(headerValue('lone \ud800'), 'lone %EF%BF%BD', 'a lone surrogate does not throw');
});

test('a stream whose headers cannot be written answers 500 UNKNOWN_ERROR and closes its source', async () => {
  const app = Fastify();
  let closed = 0;
  app.get('/stream', async (_request, reply) => {
    // A value Node refuses when the head is written (ERR_INVALID_CHAR), as a raw model name was.
    reply.header('x-raw-name', 'Upstream — chat');
    await writeEventStream(
      reply,
      closingStream(chunks(), async () => {
        closed += 1;
      }),
      () => new VeniceError('INFERENCE_FAILED'),
    );
    return reply;
  });
  try {
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    // A guard against the hang of the code before (no answer at all), not a timing assertion.
    const response = await fetch(`${origin}/stream`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: 'An unknown error occurred' });
    assert.equal(response.headers.get('x-raw-name'), null);
    assert.equal(closed, 1, 'the source was closed (its reservation released) once');
  } finally {
    await app.close();
  }
});

test('the events ready in one tick go out in one write; the end carries what is left', async (t) => {
  const app = Fastify();
  let writes: string[] = [];
  async function* burst(): AsyncGenerator<Record<string, unknown>> {
    yield { n: 1 };
    yield { n: 2 };
    yield { n: 3 };
    // The next upstream read: a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 5));
    yield { n: 4 };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  app.get('/stream', async (_request, reply) => {
    const write = t.mock.method(reply.raw, 'write');
    await writeEventStream(reply, burst(), () => new VeniceError('INFERENCE_FAILED'), {
      encode: (chunk) => `#${JSON.stringify(chunk)}`,
    });
    writes = write.mock.calls.map((call) => String(call.arguments[0]));
    return reply;
  });
  try {
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    const text = await (await fetch(`${origin}/stream`)).text();
    assert.equal(
      text,
      'data: #{"n":1}\n\ndata: #{"n":2}\n\ndata: #{"n":3}\n\ndata: #{"n":4}\n\ndata: [DONE]\n\n',
    );
    assert.deepEqual(writes, [
      'data: #{"n":1}\n\ndata: #{"n":2}\n\ndata: #{"n":3}\n\n',
      'data: #{"n":4}\n\n',
    ]);
  } finally {
    await app.close();
  }
});

test('the first chunks go out at once; what follows a burst on a later tick or promise (the end of the upstream body, a settlement) shares its write', async (t) => {
  const app = Fastify();
  let writes: string[] = [];
  async function* relay(): AsyncGenerator<Record<string, unknown>> {
    yield { n: 0 };
    // The next upstream read.
    await new Promise((resolve) => setImmediate(resolve));
    yield { n: 1 };
    yield { n: 2 };
    // Node emits a body's 'end' on a later tick; a settlement's group commit starts in the check phase.
    await new Promise((resolve) => process.nextTick(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.resolve();
    yield { usage: 3 };
  }
  app.get('/stream', async (_request, reply) => {
    const write = t.mock.method(reply.raw, 'write');
    const end = t.mock.method(reply.raw, 'end');
    await writeEventStream(reply, relay(), () => new VeniceError('INFERENCE_FAILED'));
    writes = [...write.mock.calls, ...end.mock.calls].map((call) => String(call.arguments[0]));
    return reply;
  });
  try {
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    const text = await (await fetch(`${origin}/stream`)).text();
    const first = 'data: {"n":0}\n\n';
    const rest = 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"usage":3}\n\ndata: [DONE]\n\n';
    assert.equal(text, first + rest);
    assert.deepEqual(
      writes,
      [first, rest],
      'the first chunk at once (time to first token); the end of the response carries the burst after it',
    );
  } finally {
    await app.close();
  }
});
