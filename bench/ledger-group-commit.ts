/**
 * The Meter's ledger work under concurrent requests, as a ratio against the Meter and store of a baseline commit,
 * both measured in this run (issue #17):
 *
 *   node --import tsx bench/ledger-group-commit.ts
 *
 * BENCH_CONCURRENCY (16) clients each loop reserve → 1 to 4 turns of the event loop (the upstream) → settle, through
 * `Meter.for(key).reserve` and the settlement it gives, BENCH_REQUESTS (3,000) requests a round, BENCH_ROUNDS (5)
 * rounds alternating baseline and current; each on a SQLite file of its own, opened as Rialto opens it (WAL;
 * the ledger's commits as BENCH_LEDGER_COMMITS says, `deferred` by default as in billing.ledgerCommits: a tree from
 * before that setting runs every commit at better-sqlite3's WAL default, NORMAL, without a flush). Prints per request the process's CPU (user + system) and wall time, and the ledger
 * transactions the store was asked for (reserveMany, closeMany, commitMany calls), medians of the rounds. The
 * baseline is src/ (and package.json) at BENCH_BASELINE_REF (default HEAD), extracted with `git archive` under .scratch/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Store } from '../src/storage/store.ts';
import { positiveInteger } from './harness.ts';
import { median, meterLoad } from './meter-load.ts';

const REQUESTS = positiveInteger('BENCH_REQUESTS', 3_000);
const ROUNDS = positiveInteger('BENCH_ROUNDS', 5);
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', 16);
const LEDGER_COMMITS = process.env.BENCH_LEDGER_COMMITS === 'durable' ? 'durable' : 'deferred';
const root = resolve(import.meta.dirname, '..');
const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

/** What the bench uses of a tree's src/: the store, the key service and the Meter. */
interface Tree {
  openSqliteStore: (path: string, ledgerCommits?: 'deferred' | 'durable') => Promise<Store>;
  KeyService: typeof import('../src/services/key-service.ts').KeyService;
  Meter: typeof import('../src/services/billing/meter.ts').Meter;
}

async function loadTree(directory: string): Promise<Tree> {
  const load = (path: string) => import(pathToFileURL(join(directory, path)).href);
  const [storage, keys, meter] = await Promise.all([
    load('src/storage/sqlite-store.ts'),
    load('src/services/key-service.ts'),
    load('src/services/billing/meter.ts'),
  ]);
  return {
    openSqliteStore: storage.openSqliteStore,
    KeyService: keys.KeyService,
    Meter: meter.Meter,
  };
}

/** src/ of `ref` under .scratch/ (inside the repository, so its imports find node_modules). */
function extract(ref: string): string {
  const directory = join(root, '.scratch', `ledger-group-commit-${process.pid}`);
  mkdirSync(directory, { recursive: true });
  execFileSync(
    'sh',
    [
      '-c',
      `git archive ${JSON.stringify(ref)} src package.json | tar -x -C ${JSON.stringify(directory)}`,
    ],
    { cwd: root },
  );
  return directory;
}

/** `store` with its ledger's batch calls counted in `counter.transactions`. */
function counted(store: Store, counter: { transactions: number }): Store {
  const ledger = new Proxy(store.ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (
        typeof value !== 'function' ||
        !['reserveMany', 'closeMany', 'commitMany'].includes(String(property))
      )
        return value;
      return (...args: unknown[]) => {
        counter.transactions += 1;
        return value.apply(target, args);
      };
    },
  });
  return new Proxy(store, {
    get: (target, property, receiver) =>
      property === 'ledger' ? ledger : Reflect.get(target, property, receiver),
  });
}

interface Bench {
  name: string;
  run: (round: string) => Promise<{ cpu: number; wall: number; transactions: number }>;
  close: () => Promise<void>;
}

async function bench(name: string, tree: Tree, file: string): Promise<Bench> {
  const store = await tree.openSqliteStore(file, LEDGER_COMMITS);
  const counter = { transactions: 0 };
  const load = await meterLoad(tree, store, counted(store, counter));
  return {
    name,
    run: async (round: string) => {
      const before = counter.transactions;
      // The upstream answers after 1 to 4 turns of the loop, so requests drift apart as they do in a server.
      const figures = await load.run(
        round,
        CONCURRENCY,
        REQUESTS,
        (index) => 1 + ((index * 7) % 4),
      );
      return { ...figures, transactions: (counter.transactions - before) / REQUESTS };
    },
    close: () => load.close(),
  };
}

const ref = process.env.BENCH_BASELINE_REF ?? 'HEAD';
const baselineDirectory = extract(ref);
const folder = mkdtempSync(join(tmpdir(), 'rialto-group-commit-bench-'));
try {
  const benches = [
    await bench(
      `baseline (${git('rev-parse', '--short', ref)})`,
      await loadTree(baselineDirectory),
      join(folder, 'baseline.db'),
    ),
    await bench('current (working tree)', await loadTree(root), join(folder, 'current.db')),
  ];
  for (const item of benches) await item.run('warm');
  const results = benches.map(() => [] as { cpu: number; wall: number; transactions: number }[]);
  for (let round = 0; round < ROUNDS; round += 1)
    for (const [index, item] of benches.entries())
      results[index]!.push(await item.run(`r${round}`));
  process.stdout.write(
    `Meter reserve + settle, SQLite file, ${CONCURRENCY} concurrent, ${REQUESTS} requests × ${ROUNDS} rounds, load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`,
  );
  const figures = results.map((rounds) => ({
    cpu: median(rounds.map((result) => result.cpu)),
    wall: median(rounds.map((result) => result.wall)),
    transactions: median(rounds.map((result) => result.transactions)),
  }));
  for (const [index, item] of benches.entries()) {
    const { cpu, wall, transactions } = figures[index]!;
    process.stdout.write(
      `  ${item.name}: ${cpu.toFixed(1)} µs CPU, ${wall.toFixed(1)} µs wall, ${transactions.toFixed(3)} transactions a request (median round)\n`,
    );
  }
  const [baseline, current] = figures;
  process.stdout.write(
    `  current / baseline: CPU ${(current!.cpu / baseline!.cpu).toFixed(3)}, wall ${(current!.wall / baseline!.wall).toFixed(3)}, transactions ${(current!.transactions / baseline!.transactions).toFixed(3)}\n`,
  );
  for (const item of benches) await item.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
  rmSync(baselineDirectory, { recursive: true, force: true });
}
