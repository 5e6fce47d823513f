// Issue #17.5: reservations and settlements reach the store in group commits. Two Rialto processes on one store
// (SQLite file, or PostgreSQL with RIALTO_TEST_STORE=postgres) admit at a key's spend limit exactly the worst cases
// it holds; a process killed (SIGKILL) while its batches commit leaves books that add up, nothing over-charged.
// With budget leases, a process killed inside a flush window loses at most the charges it had not written: never
// charged twice, nothing left reserved once its lease ends, the balance the sum of the records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { RIALTO_BIN, spawnRialto, type SpawnedRialto } from '../support/spawn-rialto.ts';
import {
  dropSchema,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { usageRecords } from '../support/ledger-books.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { periodOf } from '../../src/services/billing/limit-period.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import type { Store } from '../../src/storage/store.ts';

const POSTGRES = process.env.RIALTO_TEST_STORE === 'postgres';
/** What one replayed answer costs: 16 prompt tokens at 1 USD and 8 completion tokens at 2 USD per 1M. */
const PER_REQUEST = toNanos((16 * 1 + 8 * 2) / 1e6);

interface Setup {
  directory: string;
  config: string;
  environment: NodeJS.ProcessEnv;
  schema: string;
  openStore: () => Promise<Store>;
  cli: (args: string[]) => string;
}

/** `budgetLeases`: config.billing.budgetLeases in YAML flow style, e.g. `{ enabled: true, flushMs: 300 }`. */
function setUp(replayUrl: string, leaseSeconds: number, budgetLeases?: string): Setup {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-group-commit-'));
  const schema = uniqueSchemaName();
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ...(POSTGRES ? { DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` } : {}),
  };
  delete environment.RIALTO_CONFIG;
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'systemPrompt: ""',
      `billing: { leaseSeconds: ${leaseSeconds}${budgetLeases === undefined ? '' : `, budgetLeases: ${budgetLeases}`} }`,
      'rateLimits: { enabled: false }',
      'models:',
      '  - id: paid',
      '    engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "' +
        replayUrl +
        '" }] }',
      '    pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } }',
      '',
    ].join('\n'),
  );
  const cli = (args: string[]): string => {
    const run = spawnSync(process.execPath, [RIALTO_BIN, ...args, '--config', config], {
      encoding: 'utf8',
      env: environment,
    });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim();
  };
  const openStore = () =>
    POSTGRES
      ? openPostgresStore(TEST_DATABASE_URL, { schema })
      : openSqliteStore(join(directory, 'data', 'rialto.db'));
  return { directory, config, environment, schema, openStore, cli };
}

async function tearDown(setup: Setup, servers: SpawnedRialto[]): Promise<void> {
  await Promise.all(
    servers
      .filter(({ child }) => child.exitCode === null && child.signalCode === null)
      .map(async ({ child }) => {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }),
  );
  if (POSTGRES) await dropSchema(setup.schema);
  rmSync(setup.directory, { recursive: true, force: true });
}

/** Chat completions the upstream received (the model health monitor's probes left out). */
const chats = (requests: { path: string }[]): number =>
  requests.filter(({ path }) => path.endsWith('/chat/completions')).length;

const body = (stream: boolean): string =>
  JSON.stringify({
    model: 'paid',
    messages: [{ role: 'user', content: '#plain hi' }],
    max_tokens: 64,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });

test('2 processes, 120 concurrent streams on a key whose limit pays for 40: exactly as many worst cases as fit are admitted, the rest refused 402, the books exact', async () => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const setup = setUp(replay.url, 60);
  const servers: SpawnedRialto[] = [];
  let release = (): void => undefined;
  try {
    const limit = 40 * PER_REQUEST;
    const key = setup.cli(['keys', 'create', '--type', 'INFERENCE']);
    setup.cli(['balance', 'add', '100']);
    const limiting = await setup.openStore();
    try {
      const [created] = await limiting.apiKeys.listActive();
      await limiting.apiKeys.update(created!.id, {
        consumptionLimits: { usd: limit, diem: null, vcu: null },
      });
    } finally {
      await limiting.close();
    }
    servers.push(
      ...(await Promise.all([0, 1].map(() => spawnRialto(setup.config, setup.environment)))),
    );
    replay.setBehavior({
      gate: new Promise<void>((resolve) => {
        release = resolve;
      }),
    });
    let refused = 0;
    const others: string[] = [];
    const pending = Array.from({ length: 120 }, async (_, index) => {
      const response = await fetch(`${servers[index % 2]!.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body(true),
      });
      if (response.status === 200) return { status: response.status, text: await response.text() };
      refused += 1;
      const text = await response.text();
      if (response.status !== 402) others.push(`${response.status} ${text}`);
      return { status: response.status, text };
    });
    // Every admitted stream holds its worst case until the gate opens: wait until each request is refused or forwarded.
    for (let turn = 0; refused + chats(replay.requests) < 120; turn++) {
      assert.ok(
        chats(replay.requests) <= 40,
        `${chats(replay.requests)} forwarded at once on a limit that pays for 40`,
      );
      assert.ok(
        turn < 6000,
        `after 60 s, ${refused} refused and ${chats(replay.requests)} forwarded of 120`,
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const store = await setup.openStore();
    try {
      const [record] = await store.apiKeys.listActive();
      assert.ok(record !== undefined);
      const held = await store.ledger.keySpend(record.id, periodOf(record.limitPeriod, new Date()));
      const admitted = chats(replay.requests);
      assert.ok(refused > 0 && admitted > 0, `${admitted} admitted, ${refused} refused`);
      assert.deepEqual(others, [], 'every refusal is a 402');
      const worstCase = held.usdReserved / admitted;
      assert.ok(
        held.usdSpent === 0 && held.usdReserved <= limit && limit - held.usdReserved < worstCase,
        `${admitted} worst cases of ${worstCase} nanos held on a limit of ${limit}: ${held.usdReserved} reserved`,
      );
      release();
      const answers = await Promise.all(pending);
      assert.equal(answers.filter((answer) => answer.status === 200).length, admitted);
      for (const answer of answers.filter((item) => item.status !== 200)) {
        assert.equal(answer.status, 402, answer.text);
        assert.match(answer.text, /API key USD spend limit exceeded/);
      }
      const records = await usageRecords(store);
      assert.equal(records.length, admitted);
      for (const item of records)
        assert.deepEqual(
          { status: item.status, amount: item.amount },
          { status: 'completed', amount: PER_REQUEST },
        );
      const after = await store.ledger.keySpend(
        record.id,
        periodOf(record.limitPeriod, new Date()),
      );
      assert.deepEqual([after.usdSpent, after.usdReserved], [admitted * PER_REQUEST, 0]);
      const account = (await store.accounts.find('default'))!;
      assert.deepEqual(
        [account.usdBalance, account.usdReserved],
        [toNanos(100) - admitted * PER_REQUEST, 0],
      );
    } finally {
      await store.close();
    }
  } finally {
    release();
    await replay.close();
    await tearDown(setup, servers);
  }
});

async function killedWhileServing(budgetLeases?: string): Promise<void> {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const setup = setUp(replay.url, 2, budgetLeases);
  const servers: SpawnedRialto[] = [];
  try {
    const key = setup.cli(['keys', 'create', '--type', 'INFERENCE']);
    setup.cli(['balance', 'add', '10']);
    const victim = await spawnRialto(setup.config, setup.environment);
    servers.push(victim);
    let answered = 0;
    const stop = new AbortController();
    // 32 clients in a loop keep batches committing; the kill lands while some are in flight.
    const clients = Array.from({ length: 32 }, async () => {
      while (!stop.signal.aborted) {
        try {
          const response = await fetch(`${victim.url}/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: body(false),
            signal: stop.signal,
          });
          const text = await response.text();
          if (response.status === 200 && text.includes('"usage"')) answered += 1;
        } catch {
          return;
        }
      }
    });
    const started = Date.now();
    // With leases, past their first flush windows (300 ms): some charges written, the last window's not.
    while (answered < 100 || (budgetLeases !== undefined && Date.now() - started < 1_000))
      await new Promise((resolve) => setTimeout(resolve, 5));
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    const served = chats(replay.requests);
    stop.abort();
    await Promise.all(clients);

    // A second process sweeps what the dead one held once its 2 s leases have run out.
    servers.push(await spawnRialto(setup.config, setup.environment));
    const store = await setup.openStore();
    try {
      let account = (await store.accounts.find('default'))!;
      for (let turn = 0; turn < 200 && account.usdReserved !== 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        account = (await store.accounts.find('default'))!;
      }
      assert.equal(account.usdReserved, 0, 'nothing left reserved');
      const records = await usageRecords(store);
      const charged = records.filter((record) => record.amount > 0);
      if (budgetLeases === undefined)
        assert.ok(
          charged.length >= answered,
          `${charged.length} charged records for ${answered} answers the clients got`,
        );
      // A lease's flush window lost, in the client's favour: some charged, not all that were answered.
      else assert.ok(charged.length > 0, `${charged.length} charged of ${answered} answered`);
      assert.ok(
        charged.length <= served,
        `${charged.length} charged records for ${served} answers the upstream gave`,
      );
      for (const record of charged)
        assert.deepEqual([record.status, record.amount], ['completed', PER_REQUEST]);
      assert.ok(
        records.every((record) => record.amount === 0 || record.status === 'completed'),
        'released reservations cost nothing',
      );
      assert.equal(
        new Set(records.map((record) => record.id)).size,
        records.length,
        'no request recorded twice',
      );
      assert.equal(
        account.usdBalance,
        toNanos(10) - charged.length * PER_REQUEST,
        'the balance went down by the sum of the records',
      );
    } finally {
      await store.close();
    }
  } finally {
    await replay.close();
    await tearDown(setup, servers);
  }
}

test('SIGKILL while batches of settlements commit: nothing over-charged, nothing left reserved once the leases end, the records add up', () =>
  killedWhileServing());

test('budget leases, SIGKILL inside a flush window: the unwritten charges lost (never charged twice), nothing left reserved once the lease ends, the records add up', () =>
  killedWhileServing('{ enabled: true, flushMs: 300 }'));

test('budget leases: a usage read right after the requests finds them though the flush window is long; a graceful stop writes the rest and frees the lease, the books exact', async () => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const setup = setUp(replay.url, 60, '{ enabled: true, flushMs: 10000 }');
  const servers: SpawnedRialto[] = [];
  try {
    const key = setup.cli(['keys', 'create', '--type', 'INFERENCE']);
    const admin = setup.cli(['keys', 'create', '--type', 'ADMIN']);
    setup.cli(['balance', 'add', '10']);
    const server = await spawnRialto(setup.config, setup.environment);
    servers.push(server);
    const ask = async (stream: boolean): Promise<void> => {
      const response = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body(stream),
      });
      assert.equal(response.status, 200, await response.text());
    };
    for (let round = 0; round < 6; round++)
      await Promise.all(Array.from({ length: 5 }, (_, index) => ask(index % 2 === 0)));
    const history = await fetch(`${server.url}/billing/usage-history?pageSize=100`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const read = (await history.json()) as { data: { amount: number }[] };
    assert.equal(history.status, 200, JSON.stringify(read));
    // 30 chats, each an input and an output entry.
    assert.equal(read.data.length, 60, JSON.stringify(read).slice(0, 500));
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    const store = await setup.openStore();
    try {
      const account = (await store.accounts.find('default'))!;
      assert.deepEqual(
        [account.usdBalance, account.usdReserved],
        [toNanos(10) - 30 * PER_REQUEST, 0],
      );
      const records = await usageRecords(store);
      assert.equal(records.length, 30);
      for (const record of records)
        assert.deepEqual([record.status, record.amount], ['completed', PER_REQUEST]);
    } finally {
      await store.close();
    }
  } finally {
    await replay.close();
    await tearDown(setup, servers);
  }
});
