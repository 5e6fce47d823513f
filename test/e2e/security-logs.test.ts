// Issue #10.4: no secret reaches a log line, even at logLevel 'trace'. A session of requests touches every
// key operation, failed authentications of every shape, chat (JSON and stream) on an upstream with its own
// API key, web search on a keyed search API, a video job with a download link (GET, DELETE), the admin routes,
// /metrics behind a key, and errors (404, 400, 413, bad JSON, an upstream failure); then everything the server
// logged is searched for every secret it saw, raw, base64 and percent-encoded. Once in process (the test's pino
// destination) and once as `rialto serve` in its own process (its stdout and stderr, with serve.ts's logger).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { RIALTO_BIN, spawnRialto } from '../support/spawn-rialto.ts';
import { logCapture, leaksIn } from '../support/secret-scan.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { startBraveSearchServer } from '../support/upstream/search-servers.ts';
import { VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';
import { chatModel } from './upstream-support.ts';

const token = (): string => randomBytes(24).toString('base64url');
const FREE = { usd: 0, diem: 0 };
const CONSTRAINTS = {
  aspect_ratios: ['16:9'],
  resolutions: ['720p'],
  durations: ['5s'],
  model_type: 'text-to-video',
  audio: false,
  audio_configurable: false,
  prompt_character_limit: 200,
};

/** The secret part of an rk- key (what its hash is of). */
const secretOf = (key: string): string => key.split('-').slice(2).join('-');

interface Call {
  method?: string;
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Sends a request and answers its status and body text (bodies are read so that every response completes). */
async function call(
  origin: string,
  path: string,
  { method = 'GET', key = null, body, headers = {} }: Call = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * The key operations, failed authentications, admin routes and errors that both runs share; the secrets it
 * made or presented, by label.
 */
async function keySession(
  origin: string,
  adminKey: string,
  inferenceKey: string,
): Promise<Record<string, string>> {
  const api = `${origin}/api/v1`;
  const created = await call(api, '/api_keys', {
    method: 'POST',
    key: adminKey,
    body: { apiKeyType: 'INFERENCE', description: 'session key' },
  });
  assert.equal(created.status, 200, created.text);
  const { apiKey: newKey, id } = (
    JSON.parse(created.text) as { data: { apiKey: string; id: string } }
  ).data;
  assert.equal((await call(api, '/api_keys', { key: adminKey })).status, 200);
  assert.equal((await call(api, `/api_keys/${id}`, { key: adminKey })).status, 200);
  assert.equal(
    (
      await call(api, '/api_keys', {
        method: 'PATCH',
        key: adminKey,
        body: { id, description: 'renamed' },
      })
    ).status,
    200,
  );
  assert.equal((await call(api, '/api_keys/rate_limits', { key: newKey })).status, 200);
  assert.equal((await call(api, '/billing/balance', { key: adminKey })).status, 200);
  assert.equal(
    (await call(api, `/api_keys?id=${id}`, { method: 'DELETE', key: adminKey })).status,
    200,
  );
  // The revoked key, a wrong secret on a real id, garbage, other schemes and headers: 401 each.
  const wrongSecret = `${newKey.slice(0, 20)}${token().slice(0, 43).padEnd(43, 'A')}`;
  const garbage = `sk-${token()}`;
  for (const presented of [newKey, wrongSecret, garbage])
    assert.equal((await call(api, '/api_keys/rate_limits', { key: presented })).status, 401);
  assert.equal(
    (
      await call(api, '/api_keys/rate_limits', {
        headers: { authorization: `Basic ${Buffer.from(`${inferenceKey}:`).toString('base64')}` },
      })
    ).status,
    401,
  );
  assert.equal(
    (await call(api, '/api_keys/rate_limits', { headers: { authorization: inferenceKey } })).status,
    401,
  );
  assert.equal(
    (await call(api, '/api_keys/rate_limits', { headers: { 'x-api-key': inferenceKey } })).status,
    401,
  );
  // An inference key on ADMIN routes; the admin routes themselves.
  assert.equal((await call(api, '/api_keys', { key: inferenceKey })).status, 403);
  assert.equal((await call(api, '/admin/accounts', { key: inferenceKey })).status, 403);
  for (const path of [
    '/admin/accounts',
    '/admin/engines',
    '/admin/jobs',
    '/admin/usage',
    '/admin/rate-limits/log',
  ]) {
    assert.equal((await call(api, path, { key: adminKey })).status, 200, path);
  }
  assert.equal(
    (
      await call(api, '/admin/accounts/default/top-up', {
        method: 'POST',
        key: adminKey,
        body: { amount: 1, currency: 'USD' },
      })
    ).status,
    200,
  );
  assert.equal((await call(origin, '/metrics', { key: adminKey })).status, 200);
  assert.equal((await call(origin, '/metrics', { key: inferenceKey })).status, 403);
  // A multipart upload (@fastify/multipart logs its parser options, request headers included, at trace).
  const form = new FormData();
  form.set('file', new Blob(['Notes about the lagoon.'], { type: 'text/plain' }), 'notes.txt');
  const parsed = await fetch(`${api}/augment/text-parser`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inferenceKey}` },
    body: form,
  });
  assert.equal(parsed.status, 200, await parsed.clone().text());
  await parsed.arrayBuffer();
  // Errors: an unknown route, validation, bad JSON, a body over server.bodyLimit.
  assert.equal((await call(api, '/no/such/route', { key: inferenceKey })).status, 404);
  assert.equal(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key: inferenceKey,
        body: { model: 7 },
      })
    ).status,
    400,
  );
  assert.equal(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key: inferenceKey,
        body: '{"model": ',
      })
    ).status,
    400,
  );
  assert.equal(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key: inferenceKey,
        body: { pad: 'x'.repeat(1_100_000) },
      })
    ).status,
    413,
  );
  return {
    'created key': newKey,
    'created key secret': secretOf(newKey),
    'wrong secret': secretOf(wrongSecret),
    'garbage key': garbage,
    'Bearer value': `Bearer ${inferenceKey}`,
  };
}

/** Chat on the upstream that wants its own key: JSON, a stream, and an upstream failure. */
async function chatSession(origin: string, key: string, replay: ReplayServer): Promise<void> {
  const api = `${origin}/api/v1`;
  const messages = [{ role: 'user', content: '#plain hello' }];
  assert.equal(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key,
        body: { model: 'keyed', messages },
      })
    ).status,
    200,
  );
  assert.match(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key,
        body: { model: 'keyed', messages, stream: true },
      })
    ).text,
    /\[DONE\]/,
  );
  replay.setBehavior({
    failWith: { status: 500, body: { error: { message: 'upstream exploded' } } },
  });
  assert.equal(
    (
      await call(api, '/chat/completions', {
        method: 'POST',
        key,
        body: { model: 'keyed', messages },
      })
    ).status,
    500,
  );
  replay.resetBehavior();
}

function assertNoLeaks(log: string, secrets: Record<string, string>): void {
  assert.ok(log.length > 0, 'the server logged something');
  assert.deepEqual(leaksIn(log, secrets), [], 'no log line carries a secret');
}

test('in process at trace level: no key, Authorization value, upstream key or download token in any log line', async () => {
  const upstreamKey = `sk-upstream-${token()}`;
  const braveToken = `BSA${token()}`;
  const veniceKey = `venice-${token()}`;
  const replay = await startReplayServer({ flavor: 'vllm' });
  const brave = await startBraveSearchServer(braveToken);
  const venice = await VeniceJobsServer.start({ apiKey: veniceKey, pollsUntilDone: 1 });
  const logs = logCapture();
  let rialto: TestRialto | undefined;
  try {
    rialto = await startRialto(
      {
        logLevel: 'trace',
        systemPrompt: '',
        server: { bodyLimit: 1024 * 1024 },
        metrics: { requireKey: true },
        jobs: { pollIntervalMs: 50 },
        augment: { search: [{ kind: 'brave', url: brave.url, apiKey: braveToken }] },
        models: [
          chatModel('keyed', 'vllm', [], { endpoints: [{ url: replay.url, apiKey: upstreamKey }] }),
          {
            id: 'wan-link',
            type: 'video',
            engine: { kind: 'venice', endpoints: [{ url: venice.url, apiKey: veniceKey }] },
            videoConstraints: CONSTRAINTS,
            videoDelivery: 'download_url',
            pricing: { input: FREE, output: FREE, generation: { usd: 0.01, diem: 0.01 } },
          },
        ],
      },
      { logStream: logs.stream, database: 'sqlite' },
    );
    const { origin, adminKey, inferenceKey } = rialto;
    const api = `${origin}/api/v1`;
    const secrets = await keySession(origin, adminKey, inferenceKey);
    await chatSession(origin, inferenceKey, replay);
    assert.equal(
      replay.requests.at(-1)?.headers.authorization,
      `Bearer ${upstreamKey}`,
      'the upstream got its key',
    );
    assert.equal(
      (
        await call(api, '/augment/search', {
          method: 'POST',
          key: inferenceKey,
          body: { query: 'gondola' },
        })
      ).status,
      200,
    );
    assert.equal(brave.requests.at(-1)?.token, braveToken, 'the search API got its token');

    // A video job delivered by download link: the link's token is the credential.
    const queued = await call(api, '/video/queue', {
      method: 'POST',
      key: inferenceKey,
      body: { model: 'wan-link', prompt: 'a canal', duration: '5s', resolution: '720p' },
    });
    assert.equal(queued.status, 200, queued.text);
    const { queue_id: queueId, download_url: downloadUrl } = JSON.parse(queued.text) as {
      queue_id: string;
      download_url: string;
    };
    const downloadToken = downloadUrl.split('/').at(-1)!;
    for (let turn = 0; (await rialto.store.jobs.find(queueId))?.state !== 'COMPLETED'; turn += 1) {
      assert.ok(turn < 2400, 'the video job did not complete');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal((await call(origin, new URL(downloadUrl).pathname)).status, 200);
    assert.equal(
      (await call(origin, new URL(downloadUrl).pathname, { method: 'DELETE' })).status,
      200,
    );
    assert.equal((await call(origin, new URL(downloadUrl).pathname)).status, 410);
    // A token sent under another path (a 404) is no more loggable than a valid one.
    assert.equal((await call(origin, `/share/read/${downloadToken}/x`)).status, 404);
    assert.equal((await call(origin, `/%73hare/read/${downloadToken}`)).status, 410);
    assert.equal(
      (
        await call(api, '/video/complete', {
          method: 'POST',
          key: inferenceKey,
          body: { model: 'wan-link', queue_id: queueId },
        })
      ).status,
      200,
    );

    assert.match(
      logs.text(),
      /incoming request/,
      'per-request lines (debug and trace only) were logged',
    );
    assertNoLeaks(logs.text(), {
      ...secrets,
      'inference key': inferenceKey,
      'inference key secret': secretOf(inferenceKey),
      'admin key': adminKey,
      'admin key secret': secretOf(adminKey),
      'upstream API key': upstreamKey,
      'search API token': braveToken,
      'venice API key': veniceKey,
      'download token': downloadToken,
    });
  } finally {
    await rialto?.close();
    await Promise.all([replay.close(), brave.close(), venice.close()]);
  }
});

test('rialto serve at trace level: nothing on stdout or stderr carries a key, an upstream key or a download token', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-security-logs-'));
  const upstreamKey = `sk-upstream-${token()}`;
  const replay = await startReplayServer({ flavor: 'vllm' });
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(
      config,
      [
        'server: { port: 0, bodyLimit: 1048576 }',
        'dataDirectory: ./data',
        'logLevel: trace',
        'systemPrompt: ""',
        'metrics: { requireKey: true }',
        'rateLimits: { enabled: false }',
        'discoverModels: false',
        'models:',
        `  - { id: keyed, engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "${replay.url}", apiKey: "${upstreamKey}" }] } }`,
        '',
      ].join('\n'),
    );
    const create = (type: string): string => {
      const result = spawnSync(
        process.execPath,
        [RIALTO_BIN, 'keys', 'create', '--type', type, '--config', config],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
      return result.stdout.trim();
    };
    const adminKey = create('ADMIN');
    const inferenceKey = create('INFERENCE');
    const server = await spawnRialto(config);
    let stderr = '';
    server.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    try {
      const { origin } = new URL(server.url);
      const secrets = await keySession(origin, adminKey, inferenceKey);
      await chatSession(origin, inferenceKey, replay);
      assert.equal(replay.requests.at(-1)?.headers.authorization, `Bearer ${upstreamKey}`);
      const downloadToken = token().padEnd(43, 'x').slice(0, 43);
      assert.equal((await call(origin, `/share/read/${downloadToken}`)).status, 404);
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
      assertNoLeaks(server.log() + stderr, {
        ...secrets,
        'inference key': inferenceKey,
        'inference key secret': secretOf(inferenceKey),
        'admin key': adminKey,
        'admin key secret': secretOf(adminKey),
        'upstream API key': upstreamKey,
        'download token': downloadToken,
      });
      assert.match(server.log(), /incoming request/, 'per-request lines were logged');
    } finally {
      server.child.kill('SIGKILL');
    }
  } finally {
    await replay.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
