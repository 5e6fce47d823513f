// Issue #10: the rate limiter's Redis goes away mid-run (a redis-server of the test's own, killed with SIGKILL; the
// shared one on 6379 is left alone). rateLimits.onStoreError decides: fail-open serves without limits (and logs the
// outage once, not per request), fail-closed answers 503 RATE_LIMITER_UNAVAILABLE. Billing, in the database, holds
// either way; when Redis is back, limits resume.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { startFaultUpstream, type FaultUpstream } from '../support/upstream/fault-upstream.ts';
import { servicesRequired } from '../support/services-required.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };
const REQUESTS_PER_MINUTE = 1000;
const UNAVAILABLE = { error: 'Rate limits cannot be checked right now. Please try again later.' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A throwaway redis-server on `port`, without persistence; resolves once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: string) => {
      output += data;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** .ci/run installs Redis, and under CI (servicesRequired) a missing binary fails the suite; elsewhere it is skipped. */
const noRedisServer =
  servicesRequired || spawnSync('redis-server', ['--version']).status === 0
    ? false
    : 'redis-server is not on PATH';

describe('Redis goes away under the rate limiter', { skip: noRedisServer }, () => {
  let port: number;
  let redis: ChildProcess;
  let upstream: FaultUpstream;
  let open: TestRialto;
  let closed: TestRialto;
  const openLog: string[] = [];

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    upstream = await startFaultUpstream();
    const config = (policy: string): Record<string, unknown> => ({
      systemPrompt: '',
      logLevel: 'info',
      rateLimits: {
        enabled: true,
        store: 'redis',
        redisUrl: `redis://127.0.0.1:${port}`,
        redisPrefix: `rialto-fault-${policy}`,
        onStoreError: policy,
        overrides: { S: { requestsPerMinute: REQUESTS_PER_MINUTE } },
      },
      models: [
        {
          id: 'paid',
          engine: { kind: 'openai-compatible', model: 'fault', endpoints: [{ url: upstream.url }] },
          pricing: PRICING,
        },
      ],
    });
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        openLog.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    open = await startRialto(config('fail-open'), { balanceUsd: FUNDED_USD, logStream: lines });
    closed = await startRialto(config('fail-closed'), {
      balanceUsd: FUNDED_USD,
      logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
  });
  after(async () => {
    await open?.close();
    await closed?.close();
    await upstream?.close();
    if (redis !== undefined) await kill(redis);
  });

  const ask = (rialto: TestRialto): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'paid',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 64,
      }),
    });
  const outageLines = (): string[] =>
    openLog.filter((line) => line.includes('rate limiter store unreachable'));

  test('with Redis up, both count requests', async () => {
    for (const rialto of [open, closed]) {
      for (const remaining of [REQUESTS_PER_MINUTE - 1, REQUESTS_PER_MINUTE - 2]) {
        const response = await ask(rialto);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('x-ratelimit-remaining-requests'), String(remaining));
        await response.body?.cancel();
      }
    }
  });

  test('Redis killed: fail-closed answers 503 RATE_LIMITER_UNAVAILABLE; fail-open serves, charges, and logs the outage once', async () => {
    await kill(redis);
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await ask(closed);
      assert.equal(response.status, 503);
      assert.match(response.headers.get('x-request-id') ?? '', /\S/);
      assert.deepEqual(await response.json(), UNAVAILABLE);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await ask(open);
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get('x-ratelimit-remaining-requests'),
        String(REQUESTS_PER_MINUTE),
        'nothing counted, so the full window is announced',
      );
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      assert.equal(body.choices[0]?.message.content, 'All is well.');
    }
    assert.equal(
      outageLines().length,
      1,
      `one log line for the outage, not one per request:\n${outageLines().join('\n')}`,
    );
    assert.match(outageLines()[0]!, /"policy":"fail-open"/);
    const openRecords = await assertBooksBalance(open.store, FUNDED_USD);
    assert.deepEqual(
      openRecords.map((record) => record.status),
      Array(7).fill('completed'),
      'served without limits, still charged',
    );
    const closedRecords = await assertBooksBalance(closed.store, FUNDED_USD);
    assert.equal(closedRecords.length, 2, 'refused requests reserve and charge nothing');
  });

  test('Redis back on its port: fail-closed serves again, fail-open counts again and says so', async () => {
    redis = await startRedis(port);
    let status = 0;
    // ioredis reconnects on its own, backing off up to 2 s between tries: a bounded number of polls.
    for (let poll = 0; poll < 150 && status !== 200; poll++) {
      if (poll > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await ask(closed);
      status = response.status;
      await response.body?.cancel();
    }
    assert.equal(status, 200, 'fail-closed serves once Redis answers');
    let counted = false;
    for (let poll = 0; poll < 150 && !counted; poll++) {
      if (poll > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await ask(open);
      assert.equal(response.status, 200);
      // A fresh Redis holds no window: the first counted request leaves limit - 1.
      counted =
        response.headers.get('x-ratelimit-remaining-requests') !== String(REQUESTS_PER_MINUTE);
      await response.body?.cancel();
    }
    assert.ok(counted, 'fail-open counts requests again');
    assert.ok(openLog.some((line) => line.includes('rate limiter store reachable again')));
    await assertBooksBalance(open.store, FUNDED_USD);
    await assertBooksBalance(closed.store, FUNDED_USD);
  });
});
