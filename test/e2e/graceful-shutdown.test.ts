// Graceful shutdown (issue #9.5): Rialto in its own process gets SIGTERM during 10 open, paid streams. New
// requests are refused, the streams finish (within server.shutdownGraceSeconds) or are cut off at that deadline
// with an error event, every one is settled, the process exits 0, and the books show no reservation left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { spawnRialto } from '../support/spawn-rialto.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import type { UsageRecord } from '../../src/storage/store.ts';
import { sseData } from './upstream-support.ts';

const STREAMS = 10;
const BALANCE_USD = 10;

interface Setup {
  replay: ReplayServer;
  directory: string;
  config: string;
  database: string;
  key: string;
}

/** A paid model on the replay upstream, rate limits on, and a funded INFERENCE key written to the store. */
async function setUp(chunkDelayMs: number, graceSeconds: number): Promise<Setup> {
  const replay = await startReplayServer({ flavor: 'vllm', behavior: { chunkDelayMs } });
  const directory = mkdtempSync(join(tmpdir(), 'rialto-shutdown-'));
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      `server: { port: 0, shutdownGraceSeconds: ${graceSeconds} }`,
      'dataDirectory: ./data',
      'logLevel: info',
      'systemPrompt: ""',
      'rateLimits: { enabled: true }',
      'models:',
      '  - id: paid',
      `    engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "${replay.url}" }] }`,
      '    pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } }',
      '',
    ].join('\n'),
  );
  const database = join(directory, 'data', 'rialto.db');
  const store = await openSqliteStore(database);
  try {
    const key = (
      await new KeyService(store).create({ apiKeyType: 'INFERENCE', description: 'shutdown test' })
    ).apiKey;
    await store.accounts.credit('default', 'USD', toNanos(BALANCE_USD));
    return { replay, directory, config, database, key };
  } finally {
    await store.close();
  }
}

/** Opens the streams and reads each one's first chunk: they are all being answered. */
async function openStreams(
  url: string,
  key: string,
): Promise<ReadableStreamDefaultReader<Uint8Array>[]> {
  return Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const response = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'paid',
          messages: [{ role: 'user', content: '#plain hi' }],
          max_tokens: 64,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      await reader.read();
      return reader;
    }),
  );
}

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string[]> {
  const decoder = new TextDecoder();
  let text = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    text += decoder.decode(chunk.value, { stream: true });
  return sseData(text);
}

/** Polls until the server stops taking requests (bounded); then a new chat request must be refused. */
async function assertRefusesNewRequests(url: string, key: string): Promise<void> {
  const attempt = (path: string, init?: RequestInit): Promise<number> =>
    fetch(`${url}${path}`, init).then(
      (response) => response.status,
      () => 0,
    );
  for (let turn = 0; turn < 200 && (await attempt('/models')) === 200; turn++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const status = await attempt('/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'paid',
      messages: [{ role: 'user', content: '#plain hi' }],
      stream: true,
    }),
  });
  assert.ok(
    status === 0 || status === 503,
    `a new request is refused (connection refused or 503), got ${status}`,
  );
}

/** The books after the process is gone: one record per stream, nothing reserved, records add up to the balance. */
async function readBooks(
  database: string,
): Promise<{ records: UsageRecord[]; usdReserved: number; usdBalance: number }> {
  const store = await openSqliteStore(database);
  try {
    const account = (await store.accounts.find('default'))!;
    const records = await store.usage.list({ accountId: 'default', limit: 1000 });
    return { records, usdReserved: account.usdReserved, usdBalance: account.usdBalance };
  } finally {
    await store.close();
  }
}

test('SIGTERM during 10 paid streams: they finish with [DONE], new requests are refused, exit 0, all settled', async () => {
  const setup = await setUp(150, 30);
  const server = await spawnRialto(setup.config);
  try {
    const readers = await openStreams(server.url, setup.key);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await assertRefusesNewRequests(server.url, setup.key);
    const streams = await Promise.all(readers.map(readToEnd));
    for (const events of streams) {
      assert.equal(events.at(-1), '[DONE]', 'every stream ends with [DONE]');
      assert.ok(
        events.some((event) => event.includes('"usage"')),
        'and carries its usage',
      );
    }
    const [code] = await exited;
    assert.equal(code, 0, `exit code (log: ${server.log().slice(-2000)})`);
    assert.match(server.log(), /Rialto stopped/);

    const books = await readBooks(setup.database);
    assert.equal(books.usdReserved, 0, 'nothing is left reserved');
    assert.equal(books.records.length, STREAMS, 'one usage record per stream');
    assert.ok(books.records.every((record) => record.status === 'completed'));
    const charged = books.records.reduce((sum, record) => sum + record.amount, 0);
    assert.equal(
      charged,
      STREAMS * toNanos((16 * 1 + 8 * 2) / 1e6),
      'each charged the usage the upstream reported',
    );
    assert.equal(books.usdBalance, toNanos(BALANCE_USD) - charged);
  } finally {
    server.child.kill('SIGKILL');
    await setup.replay.close();
    rmSync(setup.directory, { recursive: true, force: true });
  }
});

test('streams still open at the grace deadline end with a SHUTTING_DOWN event and pay for what was delivered', async () => {
  // 11 events 600 ms apart outlast a 1 s grace period.
  const setup = await setUp(600, 1);
  const server = await spawnRialto(setup.config);
  try {
    const readers = await openStreams(server.url, setup.key);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const streams = await Promise.all(readers.map(readToEnd));
    for (const events of streams) {
      const last = JSON.parse(events.at(-1)!) as { error?: { code?: string; status?: number } };
      assert.equal(
        last.error?.code,
        'SHUTTING_DOWN',
        `the stream ends with one error event: ${events.at(-1)}`,
      );
      assert.equal(last.error?.status, 503);
      assert.ok(!events.includes('[DONE]'));
    }
    const [code] = await exited;
    assert.equal(code, 0, `exit code (log: ${server.log().slice(-2000)})`);

    const books = await readBooks(setup.database);
    assert.equal(books.usdReserved, 0, 'nothing is left reserved');
    assert.equal(books.records.length, STREAMS);
    assert.ok(
      books.records.every((record) => record.status === 'server_shutdown'),
      books.records.map((record) => record.status).join(),
    );
    assert.ok(
      books.records.every((record) => record.amount > 0 && record.completionTokens > 0),
      'charged for what was generated',
    );
    const charged = books.records.reduce((sum, record) => sum + record.amount, 0);
    assert.equal(books.usdBalance, toNanos(BALANCE_USD) - charged);
  } finally {
    server.child.kill('SIGKILL');
    await setup.replay.close();
    rmSync(setup.directory, { recursive: true, force: true });
  }
});
