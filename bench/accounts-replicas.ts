// The replicas scenario of bench:accounts (issue #17): N Rialto processes on one PostgreSQL schema and one Redis
// prefix, every request on one key of one account, against one of them alone, in the same run.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Pool } from 'undici';
import { type Books, checkBooks } from './accounts-books.ts';
import {
  createInferenceKey,
  fixed,
  freePort,
  load,
  percentile,
  rialtoCli,
  startRialtoServer,
  stopChild,
  table,
  UPSTREAM_MODEL,
  writeRialtoConfig,
  type Child,
  type RunResult,
  type Target,
} from './harness.ts';

export interface ReplicaSettings {
  replicas: number;
  requests: number;
  warmup: number;
  concurrency: number;
  fundingUsd: number;
  upstreamPort: number;
  directory: string;
  /** PostgreSQL with this run's schema, and the Redis limiter settings, shared by every replica. */
  databaseUrl: string;
  rateLimits: Record<string, unknown>;
  model: string;
  pricing: Record<string, unknown>;
  /** billing.budgetLeases.enabled on every replica. */
  budgetLeases?: boolean;
}

interface Replica {
  child: Child;
  target: Target;
  configFile: string;
}

async function startReplicas(settings: ReplicaSettings): Promise<Replica[]> {
  const replicas: Replica[] = [];
  let apiKey: string | undefined;
  for (let index = 0; index < settings.replicas; index++) {
    const folder = join(settings.directory, `replica-${index}`);
    mkdirSync(folder, { recursive: true });
    const port = await freePort();
    const configFile = writeRialtoConfig(folder, {
      server: { host: '127.0.0.1', port },
      logLevel: 'silent',
      dataDirectory: join(folder, 'data'),
      database: { url: settings.databaseUrl },
      discoverModels: false,
      rateLimits: settings.rateLimits,
      ...(settings.budgetLeases === true ? { billing: { budgetLeases: { enabled: true } } } : {}),
      models: [
        {
          id: settings.model,
          engine: {
            kind: 'openai-compatible',
            endpoints: [{ url: `http://127.0.0.1:${settings.upstreamPort}/v1` }],
            model: UPSTREAM_MODEL,
          },
          pricing: settings.pricing,
        },
      ],
    });
    if (apiKey === undefined) {
      apiKey = await createInferenceKey(configFile);
      await rialtoCli(['balance', 'add', String(settings.fundingUsd)], configFile);
    }
    const { child, origin } = await startRialtoServer(
      `Rialto replica ${index}`,
      configFile,
      port,
      apiKey,
      settings.model,
      false,
    );
    const pool = new Pool(origin, { connections: settings.concurrency, keepAliveTimeout: 60_000 });
    replicas.push({
      child,
      configFile,
      target: {
        name: `replica ${index}`,
        pool,
        path: '/api/v1/chat/completions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        model: settings.model,
        pid: child.process.pid,
      },
    });
  }
  return replicas;
}

export interface ReplicaResult {
  report: string;
  failures: string[];
  books: Books;
  ratio: number;
}

/**
 * One replica alone, then all of them at once (each with its own `concurrency` connections, `requests` requests),
 * JSON requests; aggregate req/s = every request ÷ the wall time of the slowest replica. Then the books, once every
 * replica has stopped.
 */
export async function replicaScenario(settings: ReplicaSettings): Promise<ReplicaResult> {
  const replicas = await startReplicas(settings);
  const failures: string[] = [];
  let sent = 0;
  const run = async (replica: Replica, count: number): Promise<RunResult> => {
    sent += count;
    const result = await load(replica.target, false, settings.concurrency, count, undefined);
    for (const failure of result.failures) failures.push(`${replica.target.name} ${failure}`);
    return result;
  };
  let rows: string[][];
  let ratio: number;
  try {
    for (const replica of replicas) await run(replica, settings.warmup);
    const alone = await run(replicas[0]!, settings.requests);
    const started = process.hrtime.bigint();
    const together = await Promise.all(replicas.map((replica) => run(replica, settings.requests)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const aloneRps = settings.requests / alone.seconds;
    const aggregate = (settings.requests * replicas.length) / seconds;
    ratio = aggregate / aloneRps;
    const latencies = Float64Array.from(together.flatMap((result) => [...result.latencies])).sort();
    rows = [
      [
        '1 replica',
        String(settings.concurrency),
        fixed(aloneRps, 0),
        fixed(percentile(alone.latencies, 50), 3),
        fixed(percentile(alone.latencies, 99), 3),
        '1.000',
      ],
      [
        `${replicas.length} replicas`,
        `${replicas.length} × ${settings.concurrency}`,
        fixed(aggregate, 0),
        fixed(percentile(latencies, 50), 3),
        fixed(percentile(latencies, 99), 3),
        fixed(ratio, 3),
      ],
    ];
  } finally {
    await Promise.all(replicas.map(({ target }) => target.pool.close()));
    await Promise.all(replicas.map(({ child }) => stopChild(child)));
  }
  const leases = settings.budgetLeases === true ? ', budget leases' : '';
  const books = await checkBooks(
    `${replicas.length} replicas${leases}`,
    replicas[0]!.configFile,
    settings.fundingUsd,
    sent,
    true,
  );
  const report = table(
    [
      `PostgreSQL + Redis, one account${leases}`,
      'connections',
      'rps',
      'p50',
      'p99',
      'rps / 1 replica',
    ],
    rows,
    2,
  );
  return { report, failures, books, ratio };
}
