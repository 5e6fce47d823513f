/**
 * Gateway overhead: requests/s and latency of Rialto in front of a local OpenAI-compatible upstream,
 * against that upstream alone, measured back to back in the same run and printed as ratios.
 *
 *   node --import tsx bench/gateway-overhead.ts        (npm run bench)
 *
 * Three processes: this one (the load generator, undici), bench/fast-upstream.ts (answers instantly) and
 * Rialto (`bin/rialto.js serve`, a temp config and data folder, one openai-compatible model). Scenarios:
 * {JSON, stream} × {concurrency 1 (sequential), BENCH_CONCURRENCY}; each runs "direct" (to the upstream)
 * then "via Rialto", each after its own warm-up. Every response is checked (200, well-formed, the
 * upstream's text and usage); any failure is printed and the run exits 1.
 *
 * Environment: BENCH_REQUESTS (measured requests per run, default 3000), BENCH_WARMUP (default 20% of
 * BENCH_REQUESTS, at least 200), BENCH_CONCURRENCY (the concurrent level, default 32; or a comma list
 * of levels, e.g. "1,8,64"), BENCH_RIALTO_NODE_ARGS (extra node flags for the Rialto process, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/rialto-prof" to profile it under this load).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import {
  concurrencyLevels, createInferenceKey, fixed, freePort, load, percentile, positiveInteger, signed, startRialtoServer, startUpstream, table,
  temporaryDirectory, UPSTREAM_MODEL, writeRialtoConfig, type Child, type Probe, type RunResult, type Target, type UpstreamStats,
  runBench,
} from './harness.ts';

const RIALTO_MODEL = 'bench';

// ---------------------------------------------------------------- settings

function settings(): { requests: number; warmup: number; levels: number[] } {
  try {
    const requests = positiveInteger('BENCH_REQUESTS', 3000);
    return { requests, warmup: positiveInteger('BENCH_WARMUP', Math.max(200, Math.round(requests / 5))), levels: concurrencyLevels() };
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const { requests: REQUESTS, warmup: WARMUP, levels: LEVELS } = settings();

// ---------------------------------------------------------------- Rialto

async function startRialto(upstreamPort: number): Promise<{ child: Child; origin: string; apiKey: string }> {
  const directory = temporaryDirectory('rialto-bench-');
  const port = await freePort();
  const configFile = writeRialtoConfig(directory, {
    server: { host: '127.0.0.1', port },
    logLevel: 'silent',
    dataDirectory: join(directory, 'data'),
    discoverModels: false,
    // The gateway alone: no rate limits (on by default, 75 requests/min would refuse the load); the model is
    // free, so the accounts layer only checks the key and records usage (bench/accounts-overhead.ts measures the rest).
    rateLimits: { enabled: false },
    models: [{ id: RIALTO_MODEL, engine: { kind: 'openai-compatible', endpoints: [{ url: `http://127.0.0.1:${upstreamPort}/v1` }], model: UPSTREAM_MODEL } }],
  });
  const apiKey = await createInferenceKey(configFile);
  const { child, origin } = await startRialtoServer('Rialto', configFile, port, apiKey, RIALTO_MODEL);
  return { child, origin, apiKey };
}

// ---------------------------------------------------------------- report

interface Row {
  scenario: string;
  concurrency: number;
  direct: RunResult;
  rialto: RunResult;
}

function report(rows: Row[]): string {
  const main = table(
    ['scenario', 'conc', 'rps direct', 'rps Rialto', 'ratio', 'p50 direct', 'p50 Rialto', 'p50 added', 'p99 direct', 'p99 Rialto', 'p99 added'],
    rows.map(({ scenario, concurrency, direct, rialto }) => {
      const rpsDirect = direct.latencies.length / direct.seconds;
      const rpsRialto = rialto.latencies.length / rialto.seconds;
      const [p50d, p50r, p99d, p99r] = [percentile(direct.latencies, 50), percentile(rialto.latencies, 50), percentile(direct.latencies, 99), percentile(rialto.latencies, 99)];
      return [scenario, String(concurrency), fixed(rpsDirect, 0), fixed(rpsRialto, 0), fixed(rpsRialto / rpsDirect, 3),
        fixed(p50d, 3), fixed(p50r, 3), signed(p50r - p50d), fixed(p99d, 3), fixed(p99r, 3), signed(p99r - p99d)];
    }),
  );
  const cpu = table(
    ['scenario', 'conc', 'upstream direct', 'upstream via Rialto', 'Rialto', 'upstream conns opened direct / via Rialto'],
    rows.map(({ scenario, concurrency, direct, rialto }) => [scenario, String(concurrency), fixed(direct.upstreamCpu, 0), fixed(rialto.upstreamCpu, 0), fixed(rialto.rialtoCpu, 0),
      `${fixed(direct.upstreamConnections, 0)} / ${fixed(rialto.upstreamConnections, 0)}`]),
  );
  return `${main}\n\nlatencies in ms; ratio = rps via Rialto / rps direct; added = via Rialto − direct\n\nCPU time per request, µs (user + system, from /proc; 10 ms tick, so ±${fixed(10_000 / REQUESTS, 0)} µs):\n${cpu}\n`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const cores = availableParallelism();
  const started = Date.now();
  const [load1] = loadavg();
  process.stdout.write(`Rialto gateway overhead — node ${process.version}, ${cores} CPU core${cores === 1 ? '' : 's'}, load average ${fixed(load1, 2)} at start\n`);
  process.stdout.write(`${REQUESTS} measured requests per run after ${WARMUP} warm-up; concurrency ${LEVELS.join(', ')}; direct then via Rialto, back to back.\n`);
  if (cores < 4) {
    process.stdout.write(`Note: the load generator, the upstream and Rialto are three processes sharing ${cores} cores, so the concurrent\n`
      + 'runs are CPU-bound on all three: their ratio says how much CPU Rialto costs, not the throughput it reaches alone.\n');
  }
  if (load1 !== undefined && load1 > cores / 2) {
    process.stdout.write(`Note: other work is running (load average ${fixed(load1, 2)} on ${cores} cores): expect noisy figures, p99 most of all.\n`);
  }
  const upstream = await startUpstream();
  const rialto = await startRialto(upstream.port);
  const maxConcurrency = Math.max(...LEVELS);
  const pools = [
    new Pool(`http://127.0.0.1:${upstream.port}`, { connections: maxConcurrency, keepAliveTimeout: 60_000 }),
    new Pool(rialto.origin, { connections: maxConcurrency, keepAliveTimeout: 60_000 }),
  ] as const;
  const statsPool = new Pool(`http://127.0.0.1:${upstream.port}`, { connections: 1, keepAliveTimeout: 600_000 });
  const probe: Probe = {
    upstreamPid: upstream.child.process.pid,
    stats: async () => (await (await statsPool.request({ method: 'GET', path: '/stats' })).body.json()) as UpstreamStats,
  };
  const targets: Target[] = [
    { name: 'direct', pool: pools[0], path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, model: UPSTREAM_MODEL, pid: upstream.child.process.pid },
    { name: 'Rialto', pool: pools[1], path: '/api/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.apiKey}` }, model: RIALTO_MODEL, pid: rialto.child.process.pid },
  ];
  const rows: Row[] = [];
  const failures: string[] = [];
  try {
    // Warm every code path of all three processes (JIT, connections) once before anything is measured.
    for (const stream of [false, true]) {
      for (const target of targets) {
        const warm = await load(target, stream, maxConcurrency, WARMUP, undefined);
        for (const failure of warm.failures) failures.push(`${stream ? 'stream' : 'JSON'} warm-up ${target.name} ${failure}`);
      }
    }
    for (const stream of [false, true]) {
      for (const concurrency of LEVELS) {
        const scenario = stream ? 'stream' : 'JSON';
        const results: RunResult[] = [];
        for (const target of targets) {
          const warm = await load(target, stream, concurrency, WARMUP, undefined);
          const run = await load(target, stream, concurrency, REQUESTS, probe);
          for (const failure of [...warm.failures.map((text) => `warm-up ${text}`), ...run.failures]) failures.push(`${scenario} c=${concurrency} ${target.name} ${failure}`);
          results.push(run);
          process.stdout.write(`  ${scenario.padEnd(6)} c=${String(concurrency).padEnd(3)} ${target.name.padEnd(6)} ${fixed(REQUESTS / run.seconds, 0).padStart(6)} rps  p50 ${fixed(percentile(run.latencies, 50), 3)} ms  p99 ${fixed(percentile(run.latencies, 99), 3)} ms${run.failures.length > 0 ? `  ${run.failures.length} FAILED` : ''}\n`);
        }
        rows.push({ scenario, concurrency, direct: results[0]!, rialto: results[1]! });
      }
    }
  } finally {
    await Promise.all([...pools, statsPool].map((pool) => pool.close()));
  }
  process.stdout.write(`\n${report(rows)}`);
  process.stdout.write(`\nTotal ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  if (failures.length > 0) {
    process.stdout.write(`\n${failures.length} request(s) FAILED or were malformed (first 20):\n${failures.slice(0, 20).map((failure) => `  ${failure}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write('Every response was 200 and well-formed.\n');
  return 0;
}

await runBench(main);
