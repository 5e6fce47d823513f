/**
 * What a request's ledger work costs with deferred ledger commits (billing.ledgerCommits, the default) against
 * durable ones (the baseline), both measured in this run on the same tree:
 *
 *   npm run bench:ledger-commits
 *
 * For SQLite (a file of its own per side, opened as Rialto opens it) and PostgreSQL (a schema of its own per side,
 * at RIALTO_TEST_DATABASE_URL or 127.0.0.1:5432/test; left out with a line saying so when nothing answers there):
 * BENCH_CONCURRENCY clients (1 and 16 by default) each loop reserve → a turn of the event loop (the upstream) →
 * settle through `Meter.for(key).reserve` and the settlement it gives, BENCH_REQUESTS (1,000) requests a round,
 * BENCH_ROUNDS (5) rounds alternating the two sides. Prints per request the wall time and the process's CPU (user +
 * system; PostgreSQL's own is not in it), medians of the rounds, and deferred ÷ durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Meter } from '../src/services/billing/meter.ts';
import { KeyService } from '../src/services/key-service.ts';
import type { LedgerCommits } from '../src/storage/ledger-commits.ts';
import { openPostgresStore } from '../src/storage/postgres-store.ts';
import { openSqliteStore } from '../src/storage/sqlite-store.ts';
import type { Store } from '../src/storage/store.ts';
import { positiveInteger } from './harness.ts';
import { type MeterFigures, median, meterLoad } from './meter-load.ts';

/** One turn of the event loop between a request's reserve and its settle. */
const oneTurn = (): number => 1;

const REQUESTS = positiveInteger('BENCH_REQUESTS', 1_000);
const ROUNDS = positiveInteger('BENCH_ROUNDS', 5);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,16')
  .split(',')
  .map((level) => Number.parseInt(level, 10))
  .filter((level) => level > 0);
const DATABASE_URL =
  process.env.RIALTO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs both sides of one store kind, alternated, and prints them. */
async function compare(
  label: string,
  open: (commits: LedgerCommits) => Promise<Store>,
): Promise<void> {
  const sides = {
    durable: await meterLoad({ Meter, KeyService }, await open('durable')),
    deferred: await meterLoad({ Meter, KeyService }, await open('deferred')),
  };
  try {
    for (const level of LEVELS) {
      const results: Record<LedgerCommits, MeterFigures[]> = { durable: [], deferred: [] };
      for (const name of ['durable', 'deferred'] as const)
        await sides[name].run('warm', level, REQUESTS, oneTurn);
      for (let round = 0; round < ROUNDS; round += 1) {
        const order =
          round % 2 === 0 ? (['durable', 'deferred'] as const) : (['deferred', 'durable'] as const);
        for (const name of order)
          results[name].push(await sides[name].run(`r${round}`, level, REQUESTS, oneTurn));
      }
      const figures = (name: LedgerCommits): MeterFigures => ({
        cpu: median(results[name].map((result) => result.cpu)),
        wall: median(results[name].map((result) => result.wall)),
      });
      const durable = figures('durable');
      const deferred = figures('deferred');
      process.stdout.write(
        `${label}, ${level} concurrent: durable ${durable.wall.toFixed(0)} µs wall, ${durable.cpu.toFixed(0)} µs CPU a request; ` +
          `deferred ${deferred.wall.toFixed(0)} µs wall, ${deferred.cpu.toFixed(0)} µs CPU; ` +
          `deferred ÷ durable: wall ${(deferred.wall / durable.wall).toFixed(3)}, CPU ${(deferred.cpu / durable.cpu).toFixed(3)}\n`,
      );
    }
  } finally {
    await Promise.all([sides.durable.close(), sides.deferred.close()]);
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchemas(schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

process.stdout.write(
  `Meter reserve + settle, ${REQUESTS} requests × ${ROUNDS} rounds a side and level, medians of the rounds, load ${loadavg()[0]!.toFixed(1)}\n`,
);
const folder = mkdtempSync(join(tmpdir(), 'rialto-ledger-commits-bench-'));
try {
  await compare('SQLite file', (commits) =>
    openSqliteStore(join(folder, `${commits}.db`), commits),
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
if (await postgresAnswers()) {
  const schemas: string[] = [];
  try {
    await compare('PostgreSQL', (commits) => {
      const schema = `rialto_bench_commits_${process.pid}_${commits}`;
      schemas.push(schema);
      return openPostgresStore(DATABASE_URL, { schema, ledgerCommits: commits });
    });
  } finally {
    await dropSchemas(schemas);
  }
} else
  process.stdout.write(`PostgreSQL: nothing answers at the test database's address, left out\n`);
process.stdout.write(`load ${loadavg()[0]!.toFixed(1)} at the end\n`);
