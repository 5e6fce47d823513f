// Issue #10: the disk under SQLite fills (a small tmpfs filled with a ballast file; where mounting is refused, the
// server's file size limit lowered with prlimit). Requests get a Venice 5xx, a stream that cannot be settled ends with
// an error event, the server keeps running, nothing is charged without its usage record, and when space returns the
// server serves again and the books add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toNanos } from '../../src/services/billing/money.ts';
import { KeyService } from '../../src/services/key-service.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { fillableDisk } from '../support/fillable-disk.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { spawnRialto } from '../support/spawn-rialto.ts';
import {
  completionBody,
  contentChunk,
  startFaultUpstream,
  usageChunkAndDone,
} from '../support/upstream/fault-upstream.ts';
import { sseData } from './upstream-support.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };

test('the disk fills under SQLite: 5xx answers, the server lives, nothing charged unrecorded, and back when space returns', async (t) => {
  const disk = fillableDisk();
  t.diagnostic(`disk full by ${disk.mechanism}`);
  const data = join(disk.directory, 'data');
  mkdirSync(data);
  const database = join(data, 'rialto.db');
  const setup = await openSqliteStore(database);
  const key = (await new KeyService(setup).create({ apiKeyType: 'INFERENCE', description: 'disk' }))
    .apiKey;
  await setup.accounts.credit('default', 'USD', toNanos(FUNDED_USD));
  await setup.close();
  // Streams wait at the gate (when one is set) before their last chunk.
  let gate: Promise<void> | undefined;
  const upstream = await startFaultUpstream(async ({ body }, response) => {
    if (body.stream !== true) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(completionBody('Plenty of room.', 16, 8));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(contentChunk('Plenty '));
    await gate;
    response.write(contentChunk('of room.', 'stop'));
    response.end(usageChunkAndDone(16, 8));
  });
  const config = join(disk.directory, 'rialto.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      server: { port: 0 },
      dataDirectory: data,
      logLevel: 'info',
      systemPrompt: '',
      discoverModels: false,
      billing: { leaseSeconds: 2 },
      rateLimits: { enabled: false },
      models: [
        {
          id: 'paid',
          engine: { kind: 'openai-compatible', model: 'fault', endpoints: [{ url: upstream.url }] },
          pricing: PRICING,
        },
      ],
    }),
  );
  const server = await spawnRialto(config);
  const pid = server.child.pid!;
  const ask = (stream = false): Promise<Response> =>
    fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'paid',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 64,
        stream,
      }),
    });
  const served: string[] = [];
  const askServed = async (): Promise<number> => {
    const response = await ask();
    const body = (await response.json()) as { id?: string; error?: unknown };
    if (response.status === 200) served.push(body.id!);
    else assert.equal(typeof body.error, 'string', `a Venice error body: ${JSON.stringify(body)}`);
    return response.status;
  };

  try {
    for (let index = 0; index < 4; index++) assert.equal(await askServed(), 200);

    // A stream open when the disk fills: its settlement cannot be written.
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const streaming = await ask(true);
    assert.equal(streaming.status, 200);
    const reader = streaming.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    disk.fill(pid);
    open();
    gate = undefined;
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += new TextDecoder().decode(read.value);
    const last = JSON.parse(sseData(text).at(-1) ?? '{}') as { error?: { status?: number } };
    assert.ok((last.error?.status ?? 0) >= 500, `the stream ends with a 5xx error event: ${text}`);

    for (let index = 0; index < 3; index++) {
      const status = await askServed();
      assert.ok(status >= 500, `a ${status} on a full disk`);
    }
    assert.equal(server.child.exitCode, null, `Rialto is still running:\n${server.log()}`);
    assert.equal((await fetch(`${server.url.replace(/\/api\/v1$/, '')}/health`)).status, 200);

    disk.free(pid);
    let status = 0;
    for (let poll = 0; poll < 100 && status !== 200; poll++) {
      if (poll > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      status = await askServed();
    }
    assert.equal(status, 200, `the server serves again once there is room:\n${server.log()}`);

    // The stream's reservation is released when its 2 s lease runs out (the server sweeps each second).
    const store = await openSqliteStore(database);
    try {
      const records = await assertBooksBalance(store, FUNDED_USD);
      const charged = new Set(
        records.filter((record) => record.status === 'completed').map((record) => record.requestId),
      );
      assert.deepEqual(
        served.filter((id) => !charged.has(id)),
        [],
        'every request served was charged and recorded',
      );
      assert.equal(
        records.filter((record) => record.status !== 'completed').length,
        1,
        'the stream cut short is recorded, uncharged',
      );
    } finally {
      await store.close();
    }
  } finally {
    server.child.kill('SIGKILL');
    await once(server.child, 'exit').catch(() => undefined);
    await upstream.close();
    disk.close();
  }
});
