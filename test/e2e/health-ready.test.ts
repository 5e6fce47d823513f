// GET /health and GET /ready (issue #9.5, #15.7): no key needed; /ready answers `{status}` alone (200, or 503 while
// an upstream is down) and names its components only to an ADMIN key, with URL passwords redacted and no CORS
// header on that answer; its probes are shared for readiness.cacheMs. No log line of `rialto serve` carries an
// upstream URL's password.
import { describe, it, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { RIALTO_BIN, spawnRialto } from '../support/spawn-rialto.ts';
import { listenOnLoopback } from '../support/upstream/listen-on-loopback.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel, eventually } from './upstream-support.ts';

interface ReadyBody {
  status: string;
  store: { healthy: boolean };
  limiter: { healthy: boolean; detail: string };
  models: Record<string, { healthy: boolean; detail: string }>;
}

const PASSWORD = 's3cret-upstream-password';
/** The replay server's URL with operator credentials in it (Rialto does not send them; they must not show). */
const withCredentials = (url: string): string =>
  url.replace('http://', `http://operator:${PASSWORD}@`);

function ready(
  rialto: TestRialto,
  key?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${rialto.origin}/ready`, {
    headers: { ...headers, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
  });
}

describe('GET /health and GET /ready', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    replay = await startReplayServer({ flavor: 'vllm' });
    // No cache: each call probes, so a down upstream shows at once.
    rialto = await startRialto({
      rateLimits: { enabled: true },
      readiness: { cacheMs: 0 },
      models: [chatModel('upstream', 'vllm', [withCredentials(replay.url)])],
    });
  });
  after(async () => {
    await rialto?.close();
    await replay?.close();
  });

  it('GET /health answers 200 {status: ok} without a key', async () => {
    const response = await fetch(`${rialto.origin}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('GET /ready answers {status} alone without a key, with a wrong key and with an inference key', async () => {
    for (const key of [undefined, 'rk-not-a-key', rialto.inferenceKey]) {
      const response = await ready(rialto, key);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready' });
    }
  });

  it('an ADMIN key sees every component; 503 naming the upstream, its password redacted, while it is down', async () => {
    const response = await ready(rialto, rialto.adminKey);
    assert.equal(response.status, 200);
    const body = (await response.json()) as ReadyBody;
    assert.equal(body.status, 'ready');
    assert.equal(body.store.healthy, true);
    assert.deepEqual(body.limiter, { healthy: true, detail: 'in process' });
    assert.equal(body.models.upstream?.healthy, true);

    replay.setBehavior({ failWith: { status: 503, body: { error: 'down for maintenance' } } });
    try {
      const plain = await ready(rialto);
      assert.equal(plain.status, 503);
      const text = await plain.text();
      assert.deepEqual(JSON.parse(text), { status: 'unavailable' });
      assert.doesNotMatch(
        text,
        /127\.0\.0\.1|operator|process|\//,
        'no URL, user, process or path without an ADMIN key',
      );
      assert.deepEqual(await (await ready(rialto, rialto.inferenceKey)).json(), {
        status: 'unavailable',
      });

      const down = await ready(rialto, rialto.adminKey, { origin: 'https://elsewhere.example' });
      assert.equal(down.status, 503);
      assert.equal(
        down.headers.get('access-control-allow-origin'),
        null,
        'no other origin may read the details',
      );
      const detailed = await down.text();
      assert.ok(!detailed.includes(PASSWORD), 'the password is not shown');
      const failed = JSON.parse(detailed) as ReadyBody;
      assert.equal(failed.status, 'unavailable');
      assert.equal(failed.store.healthy, true);
      assert.equal(failed.models.upstream?.healthy, false);
      assert.match(
        failed.models.upstream?.detail ?? '',
        /^http:\/\/operator:\*\*\*@127\.0\.0\.1:\d+\/v1 answered 503$/,
      );
    } finally {
      replay.resetBehavior();
    }
    assert.equal((await ready(rialto)).status, 200, 'ready again once the upstream answers');
  });
});

test('20 /ready calls in a row, and 20 at once, probe the upstream once (readiness.cacheMs)', async () => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  let rialto: TestRialto | undefined;
  try {
    rialto = await startRialto({
      readiness: { cacheMs: 600_000 },
      models: [chatModel('upstream', 'vllm', [replay.url])],
    });
    const probes = (): number =>
      replay.requests.filter((request) => request.method === 'GET' && request.path === '/v1/models')
        .length;
    assert.equal(probes(), 0);
    for (let call = 0; call < 20; call++)
      assert.equal((await ready(rialto, call % 2 === 0 ? undefined : rialto.adminKey)).status, 200);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await ready(rialto!)).status),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(probes(), 1);
  } finally {
    await rialto?.close();
    await replay.close();
  }
});

test("rialto serve: an upstream URL's password reaches no log line (startup health warning, failures, /ready)", async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-url-credentials-'));
  const replay = await startReplayServer({ flavor: 'vllm' });
  // A port nobody listens on: the model there cannot serve, which `rialto serve` warns about at start.
  const closed = await listenOnLoopback(createServer());
  await closed.stop();
  try {
    const config = join(directory, 'rialto.yaml');
    const endpoint = (id: string, url: string): string =>
      `  - { id: ${id}, engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "${url}" }] } }`;
    writeFileSync(
      config,
      [
        'server: { port: 0 }',
        'dataDirectory: ./data',
        'logLevel: trace',
        'rateLimits: { enabled: false }',
        'discoverModels: false',
        'models:',
        endpoint('reachable', withCredentials(replay.url)),
        endpoint('unreachable', withCredentials(`${closed.origin}/v1`)),
        '',
      ].join('\n'),
    );
    const created = spawnSync(
      process.execPath,
      [RIALTO_BIN, 'keys', 'create', '--type', 'ADMIN', '--config', config],
      { encoding: 'utf8' },
    );
    assert.equal(created.status, 0, created.stderr);
    const adminKey = created.stdout.trim();
    const server = await spawnRialto(config);
    let stderr = '';
    server.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    try {
      const { origin } = new URL(server.url);
      assert.ok(
        await eventually(() => server.log().includes('cannot serve yet')),
        'the start-up health warning was logged',
      );
      // Guards against a hang (a process that stopped answering), not timing assertions.
      assert.equal(
        (await fetch(`${origin}/ready`, { signal: AbortSignal.timeout(30_000) })).status,
        503,
      );
      const details = await (
        await fetch(`${origin}/ready`, {
          headers: { authorization: `Bearer ${adminKey}` },
          signal: AbortSignal.timeout(30_000),
        })
      ).text();
      assert.ok(!details.includes(PASSWORD));
      assert.match(details, /operator:\*\*\*@/);
      const chat = (model: string): Promise<Response> =>
        fetch(`${server.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
          signal: AbortSignal.timeout(30_000),
        });
      assert.equal((await chat('unreachable')).status, 503);
      replay.setBehavior({
        failWith: { status: 500, body: { error: { message: 'upstream exploded' } } },
      });
      assert.equal((await chat('reachable')).status, 500);
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
      const log = server.log() + stderr;
      assert.match(log, /operator:\*\*\*@127\.0\.0\.1/, 'the URL was logged, redacted');
      assert.ok(!log.includes(PASSWORD), 'no log line carries the password');
    } finally {
      server.child.kill('SIGKILL');
    }
  } finally {
    await replay.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
