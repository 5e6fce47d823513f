/**
 * The ledger's statements per request: one reservation, one settlement and the balance read, through the store on
 * SQLite, as a ratio against the same calls on the store of a baseline commit, both measured in this run.
 *
 *   node --import tsx bench/ledger-statements.ts
 *
 * The baseline is src/storage at BENCH_BASELINE_REF (default: the commit before src/storage/compiled-once.ts
 * arrived, else HEAD), extracted with `git archive` under .scratch/ and imported from there. Rounds alternate
 * baseline and current, BENCH_REQUESTS requests each (default 2,000), BENCH_ROUNDS rounds (default 7); the ratio is
 * of the medians. Each store is a SQLite file of its own in a temporary folder (WAL, as Rialto opens it: each
 * commit waits for its fsync), then :memory: (the statements' CPU alone).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Store } from '../src/storage/store.ts';
import { openSqliteStore } from '../src/storage/sqlite-store.ts';
import { positiveInteger } from './harness.ts';

const REQUESTS = positiveInteger('BENCH_REQUESTS', 2_000);
const ROUNDS = positiveInteger('BENCH_ROUNDS', 7);
const root = resolve(import.meta.dirname, '..');
const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

function baselineRef(): string {
  if (process.env.BENCH_BASELINE_REF !== undefined) return process.env.BENCH_BASELINE_REF;
  const added =
    git('log', '--diff-filter=A', '--format=%H', '--', 'src/storage/compiled-once.ts')
      .split('\n')
      .pop() ?? '';
  return added === '' ? 'HEAD' : `${added}^`;
}

/** src/storage of `ref` under .scratch/ (inside the repository, so its imports find node_modules). */
function extractBaseline(ref: string): string {
  const directory = join(root, '.scratch', `ledger-baseline-${process.pid}`);
  mkdirSync(directory, { recursive: true });
  execFileSync(
    'sh',
    [
      '-c',
      `git archive ${JSON.stringify(ref)} src/storage | tar -x -C ${JSON.stringify(directory)}`,
    ],
    { cwd: root },
  );
  return directory;
}

async function prepared(store: Store): Promise<Store> {
  await store.accounts.ensure('bench', 'bench', new Date().toISOString());
  await store.accounts.credit('bench', 'USD', 1_000_000_000_000_000);
  return store;
}

/** `REQUESTS` requests as the Meter makes them: reserve, read the balances, settle; the seconds taken. */
async function run(store: Store, round: string): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < REQUESTS; index += 1) {
    const reservationId = `${round}-${index}`;
    const at = new Date().toISOString();
    const outcome = await store.ledger.reserve({
      reservationId,
      accountId: 'bench',
      keyId: 'bench-key',
      period: 'EPOCH',
      keyLimits: { USD: null, DIEM: null },
      amount: 2_000_000,
      requestId: reservationId,
      modelId: 'bench-model',
      createdAt: at,
      leaseUntil: at,
    });
    if (!outcome.reserved)
      throw new Error(`reservation ${reservationId} refused: ${outcome.reason}`);
    await store.accounts.find('bench');
    const settled = await store.ledger.settle(reservationId, {
      modelType: 'text',
      amount: 1_000_000,
      promptTokens: 10,
      completionTokens: 20,
      cachedTokens: 0,
      status: 'success',
      executionMs: 5,
      createdAt: at,
    });
    if (!settled) throw new Error(`settlement ${reservationId} failed`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const ref = baselineRef();
const baselineDirectory = extractBaseline(ref);
const folder = mkdtempSync(join(tmpdir(), 'rialto-ledger-bench-'));
try {
  const baselineModule: { openSqliteStore: typeof openSqliteStore } = await import(
    pathToFileURL(join(baselineDirectory, 'src/storage/sqlite-store.ts')).href
  );
  for (const where of ['file', 'memory'] as const) {
    const path = (name: string): string =>
      where === 'memory' ? ':memory:' : join(folder, `${name}.db`);
    const baseline = await prepared(await baselineModule.openSqliteStore(path('baseline')));
    const current = await prepared(await openSqliteStore(path('current')));
    await run(baseline, 'warm');
    await run(current, 'warm');
    const seconds = { baseline: [] as number[], current: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      seconds.baseline.push(await run(baseline, `r${round}`));
      seconds.current.push(await run(current, `r${round}`));
    }
    const perRequest = (values: number[]): string =>
      `${((median(values) / REQUESTS) * 1e6).toFixed(1)} µs`;
    console.log(
      `ledger statements, SQLite ${where}, ${REQUESTS} requests × ${ROUNDS} rounds (reserve + balance read + settle)`,
    );
    console.log(
      `  baseline (${git('rev-parse', '--short', ref)}): ${perRequest(seconds.baseline)} a request (median round)`,
    );
    console.log(
      `  current (working tree): ${perRequest(seconds.current)} a request (median round)`,
    );
    console.log(
      `  ratio current / baseline: ${(median(seconds.current) / median(seconds.baseline)).toFixed(3)}`,
    );
    await baseline.close();
    await current.close();
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
  rmSync(baselineDirectory, { recursive: true, force: true });
}
