import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, UPSTREAM_FLAVORS } from './upstream-replay-server.ts';
import type { ReplayServer, UpstreamFlavor } from './upstream-replay-server.ts';

interface SseEvent {
  field: string;
  value: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const i = block.indexOf(': ');
      return { field: block.slice(0, i), value: block.slice(i + 2) };
    });
}

function chat(
  server: ReplayServer,
  content: string,
  extra: Record<string, unknown> = {},
  model = 'my-model',
): Promise<Response> {
  return fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads deep into replayed JSON bodies; each read is asserted.
type Json = Record<string, any>;

async function withServer(
  flavor: UpstreamFlavor,
  fn: (s: ReplayServer) => Promise<void>,
): Promise<void> {
  const server = await startReplayServer({ flavor });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
  assert.equal(server.openConnections, 0);
}

for (const flavor of UPSTREAM_FLAVORS) {
  test(`${flavor}: non-stream chat echoes the requested model`, () =>
    withServer(flavor, async (server) => {
      const res = await chat(server, '#plain hi');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as Json;
      assert.equal(body['object'], 'chat.completion');
      assert.equal(body['model'], 'my-model');
      assert.equal(body['choices'][0].message.content, 'Hello there, nice to meet!');
      assert.equal(body['choices'][0].finish_reason, 'stop');
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0]?.recording, 'plain.json');
      assert.equal((server.requests[0]!.body as Json)['model'], 'my-model');
    }));

  test(`${flavor}: stream chat, with and without include_usage`, () =>
    withServer(flavor, async (server) => {
      for (const usage of [false, true]) {
        const res = await chat(
          server,
          '#plain hi',
          usage ? { stream: true, stream_options: { include_usage: true } } : { stream: true },
        );
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
        const events = parseSse(await res.text());
        assert.ok(events.every((e) => e.field === 'data'));
        assert.equal(events.at(-1)?.value, '[DONE]');
        const chunks = events.slice(0, -1).map((e) => JSON.parse(e.value) as Json);
        assert.ok(
          chunks.every((c) => c['model'] === 'my-model' && c['object'] === 'chat.completion.chunk'),
        );
        const text = chunks.map((c) => c['choices'][0]?.delta?.content ?? '').join('');
        assert.equal(text, 'Hello there, nice to meet!');
        const last = chunks.at(-1) as Json;
        if (usage) {
          assert.deepEqual(last['choices'], []);
          assert.equal(typeof last['usage'].total_tokens, 'number');
        } else {
          assert.equal(chunks.filter((c) => (c['choices'] as unknown[]).length === 0).length, 0);
        }
      }
      assert.deepEqual(
        server.requests.map((r) => r.recording),
        ['plain.stream.json', 'plain.stream.usage.json'],
      );
    }));

  test(`${flavor}: tool-call stream reassembles to valid JSON arguments`, () =>
    withServer(flavor, async (server) => {
      const res = await chat(server, '#tool-call weather in Paris?', { stream: true });
      const events = parseSse(await res.text());
      const calls = new Map<number, { id?: string; name?: string; args: string }>();
      let finish: string | null = null;
      for (const e of events) {
        if (e.value === '[DONE]') continue;
        const c = JSON.parse(e.value) as Json;
        const choice = c['choices'][0];
        if (choice === undefined) continue;
        if (choice.finish_reason) finish = choice.finish_reason;
        for (const tc of choice.delta?.tool_calls ?? []) {
          const cur = calls.get(tc.index) ?? { args: '' };
          if (tc.id) cur.id = tc.id;
          if (tc.function?.name) cur.name = tc.function.name;
          cur.args += tc.function?.arguments ?? '';
          calls.set(tc.index, cur);
        }
      }
      assert.equal(finish, 'tool_calls');
      assert.equal(calls.size, 1);
      const call = calls.get(0);
      assert.equal(call?.name, 'get_weather');
      assert.ok(call?.id);
      assert.deepEqual(JSON.parse(call?.args ?? ''), { city: 'Paris', unit: 'celsius' });
    }));

  test(`${flavor}: embeddings return one vector per input, models list, unmatched 404`, () =>
    withServer(flavor, async (server) => {
      const res = await fetch(`${server.url}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'emb', input: ['a', 'bb', 'a'] }),
      });
      const body = (await res.json()) as Json;
      assert.equal(body['data'].length, 3);
      assert.deepEqual(
        body['data'].map((d: Json) => d['index']),
        [0, 1, 2],
      );
      assert.deepEqual(body['data'][0].embedding, body['data'][2].embedding);
      assert.equal(body['model'], 'emb');
      const b64 = (await (
        await fetch(`${server.url}/embeddings`, {
          method: 'POST',
          body: JSON.stringify({ model: 'emb', input: 'a', encoding_format: 'base64' }),
        })
      ).json()) as Json;
      assert.equal(
        Buffer.from(b64['data'][0].embedding as string, 'base64').length,
        4 * (body['data'][0].embedding as number[]).length,
      );

      const models = (await (await fetch(`${server.url}/models`)).json()) as Json;
      assert.equal(models['object'], 'list');
      assert.ok(models['data'].length >= 1);

      const miss = await chat(server, 'no key here');
      assert.equal(miss.status, 404);
      assert.match(await miss.text(), /replay: no recording/);
    }));
}

test('llamacpp-server: mid-stream failure is an SSE "error" event followed by [DONE]', () =>
  withServer('llamacpp-server', async (server) => {
    const events = parseSse(
      await (await chat(server, '#midstream-error', { stream: true })).text(),
    );
    assert.deepEqual(
      events.map((e) => e.field),
      ['data', 'data', 'error', 'data'],
    );
    assert.equal((JSON.parse(events[2]?.value ?? '') as Json)['type'], 'server_error');
  }));

test('errors are served in each server shape, stream or not', async () => {
  await withServer('llamacpp-server', async (server) => {
    const res = await chat(server, '#unavailable', { stream: true });
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      error: { code: 503, message: 'Loading model', type: 'unavailable_error' },
    });
  });
  await withServer('vllm', async (server) => {
    const res = await chat(server, '#context-length please');
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Json)['error'].type, 'BadRequestError');
  });
});

test('behaviors: failWith, dropAfterChunks, hang, close() tears down open sockets', async () => {
  const server = await startReplayServer({ flavor: 'vllm', behavior: { chunkDelayMs: 1 } });
  try {
    server.setBehavior({
      failWith: { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '2' } },
    });
    const r1 = await chat(server, '#plain');
    assert.equal(r1.status, 429);
    assert.equal(r1.headers.get('retry-after'), '2');
    await r1.text();

    server.resetBehavior();
    server.setBehavior({ dropAfterChunks: 2 });
    const r2 = await chat(server, '#plain', { stream: true });
    assert.equal(r2.status, 200);
    await assert.rejects(r2.text());

    server.resetBehavior();
    server.setBehavior({ hang: true });
    const pending = chat(server, '#plain').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(server.openConnections >= 1);
    await server.close();
    assert.ok((await pending) instanceof Error);
    assert.equal(server.openConnections, 0);
  } finally {
    await server.close();
  }
});
