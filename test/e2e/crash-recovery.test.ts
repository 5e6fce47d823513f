// Issue #4: Rialto is killed with SIGKILL during 20 open streams and restarted: every reservation ends
// settled or released, none counted twice, and the usage records add up to the balances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { RIALTO_BIN, spawnRialto } from '../support/spawn-rialto.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { toNanos } from '../../src/services/billing/money.ts';

test('SIGKILL during 20 open streams, then a restart: every reservation is released or settled once, the ledger adds up', async () => {
  const replay = await startReplayServer({ flavor: 'vllm', behavior: { chunkDelayMs: 400 } });
  const directory = mkdtempSync(join(tmpdir(), 'rialto-crash-'));
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'systemPrompt: ""',
      'billing: { leaseSeconds: 2 }',
      'rateLimits: { enabled: false }',
      'models:',
      '  - id: paid',
      '    engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "' +
        replay.url +
        '" }] }',
      '    pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } }',
      '',
    ].join('\n'),
  );
  const key = spawnSync(
    process.execPath,
    [RIALTO_BIN, 'keys', 'create', '--type', 'INFERENCE', '--config', config],
    { encoding: 'utf8' },
  ).stdout.trim();
  assert.equal(
    spawnSync(process.execPath, [RIALTO_BIN, 'balance', 'add', '10', '--config', config]).status,
    0,
  );
  const database = join(directory, 'data', 'rialto.db');
  const body = (stream: boolean): string =>
    JSON.stringify({
      model: 'paid',
      messages: [{ role: 'user', content: '#plain hi' }],
      max_tokens: 64,
      stream,
    });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  let server = await spawnRialto(config);
  const streams = new AbortController();
  try {
    // Five requests complete and are charged before the crash.
    replay.setBehavior({ chunkDelayMs: 0 });
    for (let index = 0; index < 5; index++)
      assert.equal(
        (
          await fetch(`${server.url}/chat/completions`, {
            method: 'POST',
            headers,
            body: body(false),
          })
        ).status,
        200,
      );
    replay.setBehavior({ chunkDelayMs: 400 });
    const open = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(`${server.url}/chat/completions`, {
          method: 'POST',
          headers,
          body: body(true),
          signal: streams.signal,
        });
        assert.equal(response.status, 200);
        const reader = response.body!.getReader();
        await reader.read();
        return reader;
      }),
    );
    const store = await openSqliteStore(database);
    try {
      assert.ok(
        (await store.accounts.find('default'))!.usdReserved > 0,
        'the 20 streams hold reservations',
      );
    } finally {
      await store.close();
    }
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
    streams.abort();
    await Promise.all(open.map((reader) => reader.cancel().catch(() => undefined)));

    server = await spawnRialto(config);
    const store2 = await openSqliteStore(database);
    try {
      let account = (await store2.accounts.find('default'))!;
      // The restarted process (or any replica) releases them once their 2 s lease has run out: poll, bounded.
      for (let turn = 0; turn < 100 && account.usdReserved !== 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        account = (await store2.accounts.find('default'))!;
      }
      assert.equal(account.usdReserved, 0, 'no reservation is left open');
      const records = await store2.usage.list({ accountId: 'default', limit: 1000 });
      assert.equal(records.length, 25, 'one record per request: 5 settled, 20 released');
      assert.equal(new Set(records.map((record) => record.id)).size, 25);
      assert.equal(records.filter((record) => record.status === 'completed').length, 5);
      assert.equal(records.filter((record) => record.status === 'lease_expired').length, 20);
      const charged = records.reduce((sum, record) => sum + record.amount, 0);
      assert.equal(charged, 5 * toNanos((16 * 1 + 8 * 2) / 1e6));
      assert.equal(
        account.usdBalance,
        toNanos(10) - charged,
        'usage records add up to the balance',
      );
      const after = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers,
        body: body(false),
      });
      assert.equal(after.status, 200, 'the restarted server serves');
    } finally {
      await store2.close();
    }
  } finally {
    streams.abort();
    server.child.kill('SIGKILL');
    await once(server.child, 'exit').catch(() => undefined);
    await replay.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
