/**
 * Accounts overhead: what auth + rate limits + billing add per request, in-memory and Redis limiters, SQLite and
 * PostgreSQL ledgers, as ratios against the same requests with them off, all measured in one run.
 *
 *   node --import tsx bench/accounts-overhead.ts        (npm run bench:accounts)
 *
 * One fast upstream (bench/fast-upstream.ts) and six Rialto processes in front of it, one per configuration:
 *   A  baseline: rate limits off, a free (zero-priced) model: auth and a usage record, nothing reserved;
 *   B  memory rate limiter (limits too high to refuse) + a priced model: reservation and settlement on SQLite;
 *   C  Redis rate limiter (a unique key prefix) + priced model on SQLite;
 *   D  Redis rate limiter + priced model on PostgreSQL (a unique schema);
 *   E  as D, with budget leases (billing.budgetLeases: requests reserve and settle in memory, charged in batches;
 *      a schema of its own);
 *   F  as D, with durable ledger commits (billing.ledgerCommits: durable, each waiting for PostgreSQL's WAL flush;
 *      D has the default, deferred), a schema of its own.
 * Scenarios {JSON, stream} × {concurrency 1, BENCH_CONCURRENCY}; in each, the upstream alone, then A to F
 * back to back, each after its own warm-up, the same number of requests. Every response is checked (200,
 * well-formed); after the run the books of each configuration are checked through the store (usage records
 * sum to the balance decrease, nothing left reserved, one record per request). Exits 1 on any failure.
 * The Redis keys and the PostgreSQL schema are removed at the end, also on error.
 *
 * Environment: BENCH_REQUESTS (measured requests per run, default 500), BENCH_WARMUP (default 20% of
 * BENCH_REQUESTS, at least 100), BENCH_CONCURRENCY (as in gateway-overhead.ts), BENCH_RIALTO_NODE_ARGS
 * (extra node flags for the Rialto processes), BENCH_RIALTO_NODE_ARGS_CONFIGS (which configurations get them,
 * e.g. "D"; default all), BENCH_REDIS_URL (default $REDIS_URL, else redis://127.0.0.1:6379), BENCH_DATABASE_URL
 * (PostgreSQL for D, default postgres://postgres@127.0.0.1:5432/test), BENCH_CONFIGURATIONS (default A,B,C,D,E,F),
 * BENCH_REPLICAS (default 4; 0 skips the replicas scenario).
 *
 * Then the replicas scenario (accounts-replicas.ts): BENCH_REPLICAS Rialto processes like D on one schema and one
 * Redis prefix, every request on one key of one account, one replica alone and then all at once; its books too.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import { type Books, booksReport, checkBooks } from './accounts-books.ts';
import { replicaScenario } from './accounts-replicas.ts';
import {
  concurrencyLevels,
  createInferenceKey,
  fixed,
  freePort,
  load,
  onCleanup,
  percentile,
  positiveInteger,
  rialtoCli,
  signed,
  startRialtoServer,
  startUpstream,
  stopChild,
  table,
  temporaryDirectory,
  UPSTREAM_MODEL,
  writeRialtoConfig,
  type Child,
  type Probe,
  type RunResult,
  type Target,
  type UpstreamStats,
  runBench,
} from './harness.ts';

const RIALTO_MODEL = 'bench';
/** USD the 'default' account is funded with (`rialto balance add`), in every configuration. */
const FUNDING_USD = 1000;
/** Prices per 1M tokens of the priced model (B, C, D); DIEM as USD, but the account holds no DIEM, so USD pays. */
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 4, diem: 4 } };
/** Limits no bench run can reach, for every text class. */
const UNREACHABLE_LIMITS = { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000 };

// ---------------------------------------------------------------- settings

interface Settings {
  requests: number;
  warmup: number;
  levels: number[];
  replicas: number;
  redisUrl: string;
  databaseUrl: string;
  profiled: Set<string> | undefined;
}

function settings(): Settings {
  try {
    const requests = positiveInteger('BENCH_REQUESTS', 500);
    const profiledRaw = process.env.BENCH_RIALTO_NODE_ARGS_CONFIGS?.trim();
    return {
      requests,
      warmup: positiveInteger('BENCH_WARMUP', Math.max(100, Math.round(requests / 5))),
      levels: concurrencyLevels(),
      replicas: process.env.BENCH_REPLICAS === '0' ? 0 : positiveInteger('BENCH_REPLICAS', 4),
      redisUrl: process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      profiled:
        profiledRaw === undefined || profiledRaw === ''
          ? undefined
          : new Set(
              profiledRaw
                .toUpperCase()
                .split(',')
                .map((part) => part.trim()),
            ),
    };
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const SETTINGS = settings();
/** BENCH_CONFIGURATIONS (default A,B,C,D,E,F): which of the six configurations run (the replicas scenario runs apart). */
const SELECTED = new Set(
  (process.env.BENCH_CONFIGURATIONS ?? 'A,B,C,D,E,F')
    .toUpperCase()
    .split(',')
    .map((part) => part.trim()),
);
const { requests: REQUESTS, warmup: WARMUP, levels: LEVELS, replicas: REPLICAS } = SETTINGS;

/** A name unique to this run: the Redis prefix and the PostgreSQL schema (lowercase letters, digits and _). */
const RUN_ID = `${process.pid}_${randomBytes(4).toString('hex')}`;
const REDIS_PREFIX = `rialto-bench-${RUN_ID}`;
const PG_SCHEMA = `rialto_bench_${RUN_ID}`;

// ---------------------------------------------------------------- external stores and their clean-up

/** Deletes every key under this run's Redis prefix; how many it deleted. Idempotent. */
async function deleteRedisKeys(): Promise<number> {
  const redis = new Redis(SETTINGS.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // connect() rejects with it
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** Runs `statement` on the bench's PostgreSQL database (not in the run's schema). */
async function postgres<Row extends pg.QueryResultRow>(statement: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: SETTINGS.databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** The replicas scenario's schema: its account is another one than D's. */
const PG_REPLICAS_SCHEMA = `${PG_SCHEMA}_replicas`;
const PG_LEASES_SCHEMA = `${PG_SCHEMA}_leases`;
const PG_DURABLE_SCHEMA = `${PG_SCHEMA}_durable`;
const PG_REPLICAS_LEASES_SCHEMA = `${PG_SCHEMA}_replicas_leases`;
const withSchema = (schema: string): string =>
  `${SETTINGS.databaseUrl}${SETTINGS.databaseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
const dropSchema = (): Promise<unknown> =>
  postgres(
    `DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE; DROP SCHEMA IF EXISTS "${PG_REPLICAS_SCHEMA}" CASCADE; DROP SCHEMA IF EXISTS "${PG_LEASES_SCHEMA}" CASCADE; DROP SCHEMA IF EXISTS "${PG_DURABLE_SCHEMA}" CASCADE; DROP SCHEMA IF EXISTS "${PG_REPLICAS_LEASES_SCHEMA}" CASCADE`,
  );

/** Fails early, with a clear message, when Redis or PostgreSQL is not there. */
async function checkServices(): Promise<void> {
  const redis = new Redis(SETTINGS.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${SETTINGS.redisUrl} is not reachable (${(error as Error).message}); set BENCH_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
  try {
    await postgres('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL (BENCH_DATABASE_URL) is not reachable: ${(error as Error).message}`,
    );
  }
}

// ---------------------------------------------------------------- the six configurations

interface Configuration {
  id: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
  label: string;
  priced: boolean;
  rateLimits: Record<string, unknown>;
  databaseUrl: string | undefined;
  /** billing.budgetLeases.enabled: requests reserve and settle in memory, charged in batches (E). */
  budgetLeases?: boolean;
  /** billing.ledgerCommits: durable (F); the default, deferred, otherwise. */
  durableCommits?: boolean;
}

const CONFIGURATIONS: Configuration[] = [
  {
    id: 'A',
    label: 'A no limits, free model',
    priced: false,
    rateLimits: { enabled: false },
    databaseUrl: undefined,
  },
  {
    id: 'B',
    label: 'B memory limiter, SQLite',
    priced: true,
    rateLimits: { enabled: true, store: 'memory' },
    databaseUrl: undefined,
  },
  {
    id: 'C',
    label: 'C Redis limiter, SQLite',
    priced: true,
    rateLimits: {
      enabled: true,
      store: 'redis',
      redisUrl: SETTINGS.redisUrl,
      redisPrefix: `${REDIS_PREFIX}:C`,
    },
    databaseUrl: undefined,
  },
  {
    id: 'D',
    label: 'D Redis limiter, PostgreSQL',
    priced: true,
    rateLimits: {
      enabled: true,
      store: 'redis',
      redisUrl: SETTINGS.redisUrl,
      redisPrefix: `${REDIS_PREFIX}:D`,
    },
    databaseUrl: withSchema(PG_SCHEMA),
  },
  {
    id: 'E',
    label: 'E as D, budget leases',
    priced: true,
    rateLimits: {
      enabled: true,
      store: 'redis',
      redisUrl: SETTINGS.redisUrl,
      redisPrefix: `${REDIS_PREFIX}:E`,
    },
    databaseUrl: withSchema(PG_LEASES_SCHEMA),
    budgetLeases: true,
  },
  {
    id: 'F',
    label: 'F as D, durable ledger commits',
    priced: true,
    rateLimits: {
      enabled: true,
      store: 'redis',
      redisUrl: SETTINGS.redisUrl,
      redisPrefix: `${REDIS_PREFIX}:F`,
    },
    databaseUrl: withSchema(PG_DURABLE_SCHEMA),
    durableCommits: true,
  },
];

interface RunningConfiguration extends Configuration {
  configFile: string;
  child: Child;
  target: Target;
  /** Chat requests sent to it so far (warm-ups included): the usage records it must hold. */
  sent: number;
}

/** A configuration's rateLimits section, with limits no run reaches where the limiter is on. */
function limitsOf(configuration: Configuration): Record<string, unknown> {
  if (configuration.rateLimits.enabled !== true) return configuration.rateLimits;
  return {
    ...configuration.rateLimits,
    overrides: {
      XS: UNREACHABLE_LIMITS,
      S: UNREACHABLE_LIMITS,
      M: UNREACHABLE_LIMITS,
      L: UNREACHABLE_LIMITS,
    },
  };
}

async function startConfiguration(
  configuration: Configuration,
  directory: string,
  upstreamPort: number,
): Promise<RunningConfiguration> {
  const folder = join(directory, configuration.id);
  mkdirSync(folder);
  const port = await freePort();
  const limits = limitsOf(configuration);
  const configFile = writeRialtoConfig(folder, {
    server: { host: '127.0.0.1', port },
    logLevel: 'silent',
    dataDirectory: join(folder, 'data'),
    ...(configuration.databaseUrl === undefined
      ? {}
      : { database: { url: configuration.databaseUrl } }),
    discoverModels: false,
    rateLimits: limits,
    ...(configuration.budgetLeases === true
      ? { billing: { budgetLeases: { enabled: true } } }
      : {}),
    ...(configuration.durableCommits === true ? { billing: { ledgerCommits: 'durable' } } : {}),
    models: [
      {
        id: RIALTO_MODEL,
        engine: {
          kind: 'openai-compatible',
          endpoints: [{ url: `http://127.0.0.1:${upstreamPort}/v1` }],
          model: UPSTREAM_MODEL,
        },
        ...(configuration.priced ? { pricing: PRICING } : {}),
      },
    ],
  });
  const apiKey = await createInferenceKey(configFile);
  await rialtoCli(['balance', 'add', String(FUNDING_USD)], configFile);
  const profiled = SETTINGS.profiled === undefined || SETTINGS.profiled.has(configuration.id);
  const { child, origin } = await startRialtoServer(
    `Rialto ${configuration.id}`,
    configFile,
    port,
    apiKey,
    RIALTO_MODEL,
    profiled,
  );
  const pool = new Pool(origin, { connections: Math.max(...LEVELS), keepAliveTimeout: 60_000 });
  return {
    ...configuration,
    configFile,
    child,
    sent: 0,
    target: {
      name: configuration.id,
      pool,
      path: '/api/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      model: RIALTO_MODEL,
      pid: child.process.pid,
    },
  };
}

// ---------------------------------------------------------------- report

interface Row {
  scenario: string;
  concurrency: number;
  name: string;
  run: RunResult;
}

const rps = (run: RunResult): number => run.latencies.length / run.seconds;

function report(rows: Row[], labels: Map<string, string>): string {
  const baselineOf = (row: Row): RunResult | undefined =>
    rows.find(
      (other) =>
        other.scenario === row.scenario &&
        other.concurrency === row.concurrency &&
        other.name === 'A',
    )?.run;
  const main = table(
    [
      'scenario',
      'conc',
      'configuration',
      'rps',
      'p50',
      'p99',
      'rps / A',
      'p50 vs A',
      'p99 vs A',
      'Rialto CPU µs/req',
      'CPU vs A',
    ],
    rows.map((row) => {
      const { run } = row;
      const [p50, p99] = [percentile(run.latencies, 50), percentile(run.latencies, 99)];
      const base = baselineOf(row);
      const relative = base !== undefined && row.name !== 'A' && row.name !== 'direct';
      return [
        row.scenario,
        String(row.concurrency),
        labels.get(row.name) ?? row.name,
        fixed(rps(run), 0),
        fixed(p50, 3),
        fixed(p99, 3),
        relative ? fixed(rps(run) / rps(base), 3) : '',
        relative ? signed(p50 - percentile(base.latencies, 50)) : '',
        relative ? signed(p99 - percentile(base.latencies, 99)) : '',
        row.name === 'direct' ? '' : fixed(run.rialtoCpu, 0),
        relative && run.rialtoCpu !== undefined && base.rialtoCpu !== undefined
          ? `${run.rialtoCpu - base.rialtoCpu >= 0 ? '+' : ''}${fixed(run.rialtoCpu - base.rialtoCpu, 0)}`
          : '',
      ];
    }),
    3,
  );
  return (
    `${main}\n\nlatencies in ms; rps / A = requests/s of the configuration ÷ those of A in the same scenario; vs A = configuration − A, ms (p50, p99)\n` +
    `or µs (CPU of the Rialto process per request, from /proc; 10 ms tick, so ±${fixed(10_000 / REQUESTS, 0)} µs; Redis and PostgreSQL server CPU not included)\n`
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const cores = availableParallelism();
  const started = Date.now();
  const [load1] = loadavg();
  process.stdout.write(
    `Rialto accounts overhead — node ${process.version}, ${cores} CPU core${cores === 1 ? '' : 's'}, load average ${fixed(load1, 2)} at start\n`,
  );
  process.stdout.write(
    `${REQUESTS} measured requests per run after ${WARMUP} warm-up; concurrency ${LEVELS.join(', ')}; upstream alone, then A, B, C, D back to back.\n`,
  );
  if (load1 !== undefined && load1 > cores / 2) {
    process.stdout.write(
      `Note: other work is running (load average ${fixed(load1, 2)} on ${cores} cores): expect noisy figures, p99 most of all.\n`,
    );
  }
  // Registered before anything is created, so an error anywhere still removes them (after the children stopped).
  onCleanup('Redis keys', async () => {
    await deleteRedisKeys();
  });
  onCleanup('PostgreSQL schema', async () => {
    await dropSchema();
  });
  await checkServices();

  const upstream = await startUpstream();
  const directory = temporaryDirectory('rialto-accounts-bench-');
  // Started one after another: six tsx start-ups at once on 2 cores only make each slower.
  const configurations: RunningConfiguration[] = [];
  for (const configuration of CONFIGURATIONS.filter(({ id }) => SELECTED.has(id)))
    configurations.push(await startConfiguration(configuration, directory, upstream.port));
  process.stdout.write(
    `Rialto processes: ${configurations.map(({ id, child }) => `${id} pid ${child.process.pid}`).join(', ')}; Redis prefix ${REDIS_PREFIX}, PostgreSQL schema ${PG_SCHEMA}\n`,
  );
  const labels = new Map<string, string>([
    ['direct', 'upstream alone'],
    ...configurations.map(({ id, label }): [string, string] => [id, label]),
  ]);

  const maxConcurrency = Math.max(...LEVELS);
  const upstreamPool = new Pool(`http://127.0.0.1:${upstream.port}`, {
    connections: maxConcurrency,
    keepAliveTimeout: 60_000,
  });
  const statsPool = new Pool(`http://127.0.0.1:${upstream.port}`, {
    connections: 1,
    keepAliveTimeout: 600_000,
  });
  const probe: Probe = {
    upstreamPid: upstream.child.process.pid,
    stats: async () =>
      (await (
        await statsPool.request({ method: 'GET', path: '/stats' })
      ).body.json()) as UpstreamStats,
  };
  const direct: Target = {
    name: 'direct',
    pool: upstreamPool,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    model: UPSTREAM_MODEL,
    pid: upstream.child.process.pid,
  };
  const targets: { target: Target; configuration: RunningConfiguration | undefined }[] = [
    { target: direct, configuration: undefined },
    ...configurations.map((configuration) => ({ target: configuration.target, configuration })),
  ];
  const rows: Row[] = [];
  const failures: string[] = [];
  const send = async (
    entry: (typeof targets)[number],
    stream: boolean,
    concurrency: number,
    count: number,
    measured: boolean,
  ): Promise<RunResult> => {
    if (entry.configuration !== undefined) entry.configuration.sent += count;
    return load(entry.target, stream, concurrency, count, measured ? probe : undefined);
  };
  try {
    // Warm every code path of every process once before anything is measured.
    for (const stream of [false, true]) {
      for (const entry of targets) {
        const warm = await send(entry, stream, maxConcurrency, WARMUP, false);
        for (const failure of warm.failures)
          failures.push(`${stream ? 'stream' : 'JSON'} warm-up ${entry.target.name} ${failure}`);
      }
    }
    for (const stream of [false, true]) {
      for (const concurrency of LEVELS) {
        const scenario = stream ? 'stream' : 'JSON';
        for (const entry of targets) {
          const { name } = entry.target;
          const warm = await send(entry, stream, concurrency, WARMUP, false);
          const run = await send(entry, stream, concurrency, REQUESTS, true);
          for (const failure of [
            ...warm.failures.map((text) => `warm-up ${text}`),
            ...run.failures,
          ])
            failures.push(`${scenario} c=${concurrency} ${name} ${failure}`);
          rows.push({ scenario, concurrency, name, run });
          process.stdout.write(
            `  ${scenario.padEnd(6)} c=${String(concurrency).padEnd(3)} ${(labels.get(name) ?? name).padEnd(30)} ${fixed(rps(run), 0).padStart(6)} rps  p50 ${fixed(percentile(run.latencies, 50), 3)} ms  p99 ${fixed(percentile(run.latencies, 99), 3)} ms${run.failures.length > 0 ? `  ${run.failures.length} FAILED` : ''}\n`,
          );
        }
      }
    }
  } finally {
    await Promise.all(
      [upstreamPool, statsPool, ...configurations.map(({ target }) => target.pool)].map((pool) =>
        pool.close(),
      ),
    );
  }
  process.stdout.write(`\n${report(rows, labels)}`);

  // The books, read once every Rialto process has stopped (SIGTERM: it finishes what it was doing).
  await Promise.all(configurations.map(({ child }) => stopChild(child)));
  const books: Books[] = [];
  for (const configuration of configurations)
    books.push(
      await checkBooks(
        configuration.id,
        configuration.configFile,
        FUNDING_USD,
        configuration.sent,
        configuration.priced,
      ),
    );
  process.stdout.write(
    `\nBooks (through the store, after the run; A's model is free, B–F charge ${PRICING.input.usd} / ${PRICING.output.usd} USD per 1M input / output tokens):\n${booksReport(books)}\n`,
  );
  if (REPLICAS > 0) {
    process.stdout.write(
      `\nReplicas: ${REPLICAS} Rialto processes on one PostgreSQL schema and one Redis prefix, every request on one key of one account, JSON, ${REQUESTS} requests each, against one of them alone:\n`,
    );
    // Without budget leases, then with them (each on a schema of its own).
    for (const budgetLeases of [false, true]) {
      const replicas = await replicaScenario({
        replicas: REPLICAS,
        requests: REQUESTS,
        warmup: WARMUP,
        concurrency: maxConcurrency,
        fundingUsd: FUNDING_USD,
        upstreamPort: upstream.port,
        directory: join(directory, budgetLeases ? 'replicas-leases' : 'replicas'),
        databaseUrl: withSchema(budgetLeases ? PG_REPLICAS_LEASES_SCHEMA : PG_REPLICAS_SCHEMA),
        rateLimits: limitsOf(CONFIGURATIONS[3]!),
        model: RIALTO_MODEL,
        pricing: PRICING,
        budgetLeases,
      });
      process.stdout.write(`${replicas.report}\n${booksReport([replicas.books])}\n`);
      failures.push(...replicas.failures);
      books.push(replicas.books);
    }
  }
  const bookProblems = books.flatMap(({ id, problems }) =>
    problems.map((problem) => `${id}: ${problem}`),
  );
  for (const problem of bookProblems) process.stdout.write(`  ${problem}\n`);
  if (bookProblems.length === 0)
    process.stdout.write(
      'Every configuration: usage records = balance decrease, nothing left reserved, one record per request.\n',
    );

  const deleted = await deleteRedisKeys();
  await dropSchema();
  const [left] = await postgres<{ count: string }>(
    `SELECT count(*) FROM pg_namespace WHERE nspname = '${PG_SCHEMA}'`,
  );
  process.stdout.write(
    `Clean-up: ${deleted} Redis key(s) under ${REDIS_PREFIX}: deleted; schema ${PG_SCHEMA} ${left?.count === '0' ? 'dropped' : 'NOT dropped'}.\n`,
  );

  process.stdout.write(`\nTotal ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  if (failures.length > 0) {
    process.stdout.write(
      `\n${failures.length} request(s) FAILED or were malformed (first 20):\n${failures
        .slice(0, 20)
        .map((failure) => `  ${failure}`)
        .join('\n')}\n`,
    );
  } else {
    process.stdout.write('Every response was 200 and well-formed.\n');
  }
  return failures.length > 0 || bookProblems.length > 0 ? 1 : 0;
}

await runBench(main);
