/**
 * Rialto's CPU per request alone, for A/B work on the request path (issue #17): the fast upstream and one billed
 * Rialto (as in gateway-overhead.ts: keys, the memory limiter, a priced model), no Portkey nor relay, so a run takes
 * seconds. Run it from two checkouts back to back (e.g. a `git worktree` at the commit before, then this one):
 *
 *   node --import tsx bench/gateway-cpu.ts
 *
 * Prints, for JSON and stream at BENCH_CONCURRENCY (16 by default): req/s and Rialto's µs of CPU per request, from
 * /proc, over BENCH_ROUNDS (3) runs of BENCH_REQUESTS (3000) each after a warm-up; the median is the figure to
 * compare; BENCH_SCENARIOS=json (or stream) runs one of the two. BENCH_RIALTO_NODE_ARGS profiles it as in
 * gateway-overhead.ts. Exits 1 on any malformed answer.
 */
import { Pool } from 'undici';
import {
  fixed,
  load,
  positiveInteger,
  runBench,
  startBilledRialto,
  startUpstream,
  type Probe,
  type Target,
  type UpstreamStats,
} from './harness.ts';

const REQUESTS = positiveInteger('BENCH_REQUESTS', 3000);
const ROUNDS = positiveInteger('BENCH_ROUNDS', 3);
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', 16);
/** BENCH_SCENARIOS: `json`, `stream` or both (the default), e.g. to profile the JSON path alone. */
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'json,stream').split(',');

async function main(): Promise<number> {
  const upstream = await startUpstream();
  const rialto = await startBilledRialto('rialto-cpu-', 'bench', {
    kind: 'openai-compatible',
    endpoints: [{ url: `http://127.0.0.1:${upstream.port}/v1` }],
    model: 'bench-upstream',
  });
  const pool = new Pool(rialto.origin, { connections: CONCURRENCY, keepAliveTimeout: 60_000 });
  const statsPool = new Pool(`http://127.0.0.1:${upstream.port}`, { connections: 1 });
  const probe: Probe = {
    upstreamPid: upstream.child.process.pid,
    stats: async () =>
      (await (
        await statsPool.request({ method: 'GET', path: '/stats' })
      ).body.json()) as UpstreamStats,
  };
  const target: Target = {
    name: 'Rialto',
    pool,
    path: '/api/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.apiKey}` },
    model: 'bench',
    pid: rialto.child.process.pid,
  };
  let failed = 0;
  try {
    for (const stream of [false, true].filter((on) => SCENARIOS.includes(on ? 'stream' : 'json'))) {
      failed += (
        await load(target, stream, CONCURRENCY, Math.max(500, Math.round(REQUESTS / 3)), undefined)
      ).failures.length;
      const cpu: number[] = [];
      const rates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const run = await load(target, stream, CONCURRENCY, REQUESTS, probe);
        failed += run.failures.length;
        for (const failure of run.failures.slice(0, 3)) process.stdout.write(`  ${failure}\n`);
        cpu.push(run.rialtoCpu ?? Number.NaN);
        rates.push(REQUESTS / run.seconds);
      }
      const median = (values: number[]): number =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
      process.stdout.write(
        `${stream ? 'stream' : 'JSON  '} c=${CONCURRENCY}  Rialto CPU µs/req ${cpu.map((value) => fixed(value, 0)).join(' ')} (median ${fixed(median(cpu), 0)})  rps ${rates.map((value) => fixed(value, 0)).join(' ')}\n`,
      );
    }
  } finally {
    await Promise.all([pool.close(), statsPool.close()]);
  }
  return failed === 0 ? 0 : 1;
}

await runBench(main);
