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
 * BENCH_REQUESTS, at least 200), BENCH_CONCURRENCY (the concurrent level, run besides 1; default 16 and 32,
 * issue #17's levels; or a comma list of the exact levels, e.g. "1,8,64"), BENCH_RIALTO_NODE_ARGS (extra node flags for the Rialto process, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/rialto-prof" to profile it under this load).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { PORTKEY_NOTE, portkeyHeaders, startPortkey } from './portkey.ts';
import {
  concurrencyLevels,
  startBilledRialto,
  startChild,
  waitForLine,
  ROOT,
  fixed,
  load,
  percentile,
  positiveInteger,
  signed,
  startUpstream,
  table,
  UPSTREAM_MODEL,
  type Probe,
  type RunResult,
  type Target,
  type UpstreamStats,
  runBench,
} from './harness.ts';

const RIALTO_MODEL = 'bench';

// ---------------------------------------------------------------- settings

function settings(): { requests: number; warmup: number; levels: number[] } {
  try {
    const requests = positiveInteger('BENCH_REQUESTS', 3000);
    return {
      requests,
      warmup: positiveInteger('BENCH_WARMUP', Math.max(200, Math.round(requests / 5))),
      levels: concurrencyLevels([1, 16, 32]),
    };
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const { requests: REQUESTS, warmup: WARMUP, levels: LEVELS } = settings();

// ---------------------------------------------------------------- Rialto

// Keys, limits and billing on (issue #8): the in-memory limiter counts requests and tokens, the priced model makes
// every request reserve its worst case on the funded account and settle the actual cost, in SQLite.
const startRialto = (upstreamPort: number): ReturnType<typeof startBilledRialto> =>
  startBilledRialto('rialto-bench-', RIALTO_MODEL, {
    kind: 'openai-compatible',
    endpoints: [{ url: `http://127.0.0.1:${upstreamPort}/v1` }],
    model: UPSTREAM_MODEL,
  });

// ---------------------------------------------------------------- report

interface Row {
  scenario: string;
  concurrency: number;
  direct: RunResult;
  rialto: RunResult;
  portkey: RunResult;
  /** bench/passthrough.ts: Fastify + undici relaying bytes, nothing else (the floor of a Node.js gateway). */
  relay: RunResult;
}

const rps = (run: RunResult): number => run.latencies.length / run.seconds;

function report(rows: Row[]): string {
  const throughput = table(
    [
      'scenario',
      'conc',
      'rps direct',
      'rps Rialto',
      'rps Portkey',
      'rps relay',
      'Rialto / direct',
      'Portkey / direct',
      'relay / direct',
      'Rialto / Portkey',
      'Rialto / relay',
    ],
    rows.map(({ scenario, concurrency, direct, rialto, portkey, relay }) => [
      scenario,
      String(concurrency),
      fixed(rps(direct), 0),
      fixed(rps(rialto), 0),
      fixed(rps(portkey), 0),
      fixed(rps(relay), 0),
      fixed(rps(rialto) / rps(direct), 3),
      fixed(rps(portkey) / rps(direct), 3),
      fixed(rps(relay) / rps(direct), 3),
      fixed(rps(rialto) / rps(portkey), 1),
      fixed(rps(rialto) / rps(relay), 3),
    ]),
  );
  const latency = table(
    [
      'scenario',
      'conc',
      'p50 direct',
      'p50 added Rialto',
      'p50 added Portkey',
      'p50 added relay',
      'p99 direct',
      'p99 added Rialto',
      'p99 added Portkey',
      'p99 added relay',
    ],
    rows.map(({ scenario, concurrency, direct, rialto, portkey, relay }) => {
      const [p50d, p99d] = [percentile(direct.latencies, 50), percentile(direct.latencies, 99)];
      return [
        scenario,
        String(concurrency),
        fixed(p50d, 3),
        signed(percentile(rialto.latencies, 50) - p50d),
        signed(percentile(portkey.latencies, 50) - p50d),
        signed(percentile(relay.latencies, 50) - p50d),
        fixed(p99d, 3),
        signed(percentile(rialto.latencies, 99) - p99d),
        signed(percentile(portkey.latencies, 99) - p99d),
        signed(percentile(relay.latencies, 99) - p99d),
      ];
    }),
  );
  const cpu = table(
    [
      'scenario',
      'conc',
      'upstream direct',
      'Rialto',
      'Portkey',
      'relay',
      'upstream conns opened direct / Rialto / Portkey / relay',
    ],
    rows.map(({ scenario, concurrency, direct, rialto, portkey, relay }) => [
      scenario,
      String(concurrency),
      fixed(direct.upstreamCpu, 0),
      fixed(rialto.rialtoCpu, 0),
      fixed(portkey.rialtoCpu, 0),
      fixed(relay.rialtoCpu, 0),
      `${fixed(direct.upstreamConnections, 0)} / ${fixed(rialto.upstreamConnections, 0)} / ${fixed(portkey.upstreamConnections, 0)} / ${fixed(relay.upstreamConnections, 0)}`,
    ]),
  );
  return (
    'relay = bench/passthrough.ts, Fastify + undici relaying bytes with no auth, validation, parsing, limits or billing: the floor of a Node.js gateway.\n\n' +
    `Requests/s (ratios from the same run):\n${throughput}\n\nLatency, ms (added = through the gateway − direct):\n${latency}\n\n` +
    `CPU time per request, µs (user + system, from /proc; 10 ms tick, so ±${fixed(10_000 / REQUESTS, 0)} µs):\n${cpu}\n`
  );
}

/** Issue #17's targets, each as 'met' or 'missed' with the figure: throughput against the upstream alone and
 * against Portkey and Rialto's CPU per request at every concurrent level, and its added p50 at one connection. */
function targets(rows: Row[]): string {
  const lines: string[] = [];
  const check = (label: string, value: number | undefined, met: boolean, unit = ''): void => {
    lines.push(`  ${met ? 'met   ' : 'MISSED'}  ${label}: ${fixed(value, 3)}${unit}`);
  };
  for (const row of rows) {
    const name = `${row.scenario} c=${row.concurrency}`;
    if (row.concurrency === 1) {
      const p50 = percentile(row.rialto.latencies, 50) - percentile(row.direct.latencies, 50);
      check(`${name} added p50 ≤ 0.3 ms`, p50, p50 <= 0.3, ' ms');
    } else {
      check(
        `${name} Rialto rps ≥ 0.35 of direct`,
        rps(row.rialto) / rps(row.direct),
        rps(row.rialto) >= 0.35 * rps(row.direct),
      );
      check(
        `${name} Rialto rps ≥ 6× Portkey's`,
        rps(row.rialto) / rps(row.portkey),
        rps(row.rialto) >= 6 * rps(row.portkey),
        '×',
      );
    }
    // The issue puts its CPU target with the throughput ones, at 16 and 32 connections; one at a time a request
    // also pays the loop's wake-up from idle (the bare relay 293–330 µs here, 2026-12-07), so it is printed, not judged.
    const cpu = row.rialto.rialtoCpu;
    if (row.concurrency === 1)
      lines.push(
        `  (info)  ${name} Rialto CPU a request: ${fixed(cpu, 0)} µs, the relay's ${fixed(row.relay.rialtoCpu, 0)} µs`,
      );
    else
      check(`${name} Rialto CPU ≤ 200 µs a request`, cpu, cpu !== undefined && cpu <= 200, ' µs');
  }
  return `Targets (issue #17, keys, limits and billing on):\n${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const cores = availableParallelism();
  const started = Date.now();
  const [load1] = loadavg();
  process.stdout.write(
    `Rialto gateway overhead vs Portkey — node ${process.version}, ${cores} CPU core${cores === 1 ? '' : 's'}, load average ${fixed(load1, 2)} at start\n`,
  );
  process.stdout.write(
    `${REQUESTS} measured requests per run after ${WARMUP} warm-up; concurrency ${LEVELS.join(', ')}; direct, then via Rialto, Portkey and the bare relay, back to back.\n`,
  );
  if (cores < 4) {
    process.stdout.write(
      `Note: the load generator, the upstream and the gateway are three processes sharing ${cores} cores, so the concurrent\n` +
        'runs are CPU-bound on all three: their ratio says how much CPU each gateway costs, not the throughput it reaches alone.\n',
    );
  }
  if (load1 !== undefined && load1 > cores / 2) {
    process.stdout.write(
      `Note: other work is running (load average ${fixed(load1, 2)} on ${cores} cores): expect noisy figures, p99 most of all.\n`,
    );
  }
  const upstream = await startUpstream();
  const upstreamOrigin = `http://127.0.0.1:${upstream.port}`;
  const rialto = await startRialto(upstream.port);
  const portkey = await startPortkey();
  const relayChild = startChild(
    'relay',
    ['--import', 'tsx', join(ROOT, 'bench', 'passthrough.ts'), upstreamOrigin],
    process.env,
  );
  const relayOrigin = `http://127.0.0.1:${(await waitForLine(relayChild, /LISTENING (\d+)\n/, 20_000))[1]}`;
  process.stdout.write(
    `${PORTKEY_NOTE}\nRialto: memory rate limiter (limits no run reaches), a priced model (reserve, settle, usage record in SQLite), an INFERENCE key.\n`,
  );
  const maxConcurrency = Math.max(...LEVELS);
  const poolOf = (origin: string): Pool =>
    new Pool(origin, { connections: maxConcurrency, keepAliveTimeout: 60_000 });
  const pools = [
    poolOf(upstreamOrigin),
    poolOf(rialto.origin),
    poolOf(portkey.origin),
    poolOf(relayOrigin),
  ] as const;
  const statsPool = new Pool(upstreamOrigin, { connections: 1, keepAliveTimeout: 600_000 });
  const probe: Probe = {
    upstreamPid: upstream.child.process.pid,
    stats: async () =>
      (await (
        await statsPool.request({ method: 'GET', path: '/stats' })
      ).body.json()) as UpstreamStats,
  };
  const targets3: Target[] = [
    {
      name: 'direct',
      pool: pools[0],
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      model: UPSTREAM_MODEL,
      pid: upstream.child.process.pid,
    },
    {
      name: 'Rialto',
      pool: pools[1],
      path: '/api/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.apiKey}` },
      model: RIALTO_MODEL,
      pid: rialto.child.process.pid,
    },
    {
      name: 'Portkey',
      pool: pools[2],
      path: '/v1/chat/completions',
      headers: portkeyHeaders(upstreamOrigin),
      model: UPSTREAM_MODEL,
      pid: portkey.child.process.pid,
    },
    {
      name: 'relay',
      pool: pools[3],
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      model: UPSTREAM_MODEL,
      pid: relayChild.process.pid,
    },
  ];
  const rows: Row[] = [];
  const failures: string[] = [];
  try {
    // Warm every code path of all five processes (JIT, connections) once before anything is measured.
    for (const stream of [false, true]) {
      for (const target of targets3) {
        const warm = await load(target, stream, maxConcurrency, WARMUP, undefined);
        for (const failure of warm.failures)
          failures.push(`${stream ? 'stream' : 'JSON'} warm-up ${target.name} ${failure}`);
      }
    }
    for (const stream of [false, true]) {
      for (const concurrency of LEVELS) {
        const scenario = stream ? 'stream' : 'JSON';
        const results: RunResult[] = [];
        for (const target of targets3) {
          const warm = await load(target, stream, concurrency, WARMUP, undefined);
          const run = await load(target, stream, concurrency, REQUESTS, probe);
          for (const failure of [
            ...warm.failures.map((text) => `warm-up ${text}`),
            ...run.failures,
          ])
            failures.push(`${scenario} c=${concurrency} ${target.name} ${failure}`);
          results.push(run);
          process.stdout.write(
            `  ${scenario.padEnd(6)} c=${String(concurrency).padEnd(3)} ${target.name.padEnd(7)} ${fixed(REQUESTS / run.seconds, 0).padStart(6)} rps  p50 ${fixed(percentile(run.latencies, 50), 3)} ms  p99 ${fixed(percentile(run.latencies, 99), 3)} ms${run.failures.length > 0 ? `  ${run.failures.length} FAILED` : ''}\n`,
          );
        }
        rows.push({
          scenario,
          concurrency,
          direct: results[0]!,
          rialto: results[1]!,
          portkey: results[2]!,
          relay: results[3]!,
        });
      }
    }
  } finally {
    await Promise.all([...pools, statsPool].map((pool) => pool.close()));
  }
  process.stdout.write(`\n${report(rows)}\n${targets(rows)}`);
  process.stdout.write(`\nTotal ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  if (failures.length > 0) {
    process.stdout.write(
      `\n${failures.length} request(s) FAILED or were malformed (first 20):\n${failures
        .slice(0, 20)
        .map((failure) => `  ${failure}`)
        .join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write('Every response was 200 and well-formed.\n');
  return 0;
}

await runBench(main);
