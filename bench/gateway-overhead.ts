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
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool, request as undiciRequest } from 'undici';
import { UPSTREAM_TEXT, UPSTREAM_USAGE } from './fast-upstream.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const UPSTREAM_SCRIPT = join(ROOT, 'bench', 'fast-upstream.ts');
const RIALTO_BIN = join(ROOT, 'bin', 'rialto.js');
const RIALTO_MODEL = 'bench';
const UPSTREAM_MODEL = 'bench-upstream';

// ---------------------------------------------------------------- settings

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got '${raw}')`);
  return value;
}

function concurrencyLevels(): number[] {
  const raw = process.env.BENCH_CONCURRENCY?.trim();
  if (raw === undefined || raw === '') return [1, 32];
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new Error(`BENCH_CONCURRENCY must be a positive integer or a comma list of them (got '${raw}')`);
  const levels = raw.includes(',') ? values : [1, ...values];
  return [...new Set(levels)];
}

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

// ---------------------------------------------------------------- child processes and cleanup

interface Child {
  name: string;
  process: ChildProcess;
  /** The last few KB of its stdout and stderr, for error messages. */
  output(): string;
}

const children: Child[] = [];
let temporaryDirectory: string | undefined;

function startChild(name: string, args: string[], environment: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (piece: Buffer): void => { tail = (tail + piece.toString('utf8')).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const entry = { name, process: child, output: () => tail.trim() };
  children.push(entry);
  return entry;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Synchronous last resort (process 'exit', signals): kill what still runs, remove the temp folder. */
function cleanupNow(): void {
  for (const child of children) if (running(child.process)) child.process.kill('SIGKILL');
  if (temporaryDirectory !== undefined) rmSync(temporaryDirectory, { recursive: true, force: true });
  temporaryDirectory = undefined;
}

/** Asks every child to stop (SIGTERM, then SIGKILL after 3 s), then removes the temp folder. */
async function cleanup(): Promise<void> {
  await Promise.all(children.map(async ({ process: child }) => {
    if (!running(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (running(child)) child.kill('SIGKILL'); }, 3000);
    await exited;
    clearTimeout(timer);
  }));
  cleanupNow();
}

process.on('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping.\n`);
    cleanupNow();
    process.exit(130);
  });
}

/** Resolves when `child` prints a line matching `pattern`; rejects if it exits first or after `timeoutMs`. */
function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (piece: Buffer): void => {
      buffer += piece.toString('utf8');
      const match = pattern.exec(buffer);
      if (match !== null) { finish(); resolve(match); }
    };
    const onExit = (): void => { finish(); reject(new Error(`${child.name} exited before it was ready:\n${child.output()}`)); };
    const timer = setTimeout(() => { finish(); reject(new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output()}`)); }, timeoutMs);
    const finish = (): void => { clearTimeout(timer); child.process.stdout?.off('data', onData); child.process.off('exit', onExit); };
    child.process.stdout?.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/** A free TCP port on 127.0.0.1 (listen on 0, read the port, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
        else resolve(address.port);
      });
    });
  });
}

/** The environment for Rialto's processes: the bench's config file alone decides (no RIALTO_* overrides). */
function rialtoEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of ['RIALTO_CONFIG', 'RIALTO_HOST', 'RIALTO_PORT', 'RIALTO_DATA_DIR', 'RIALTO_LOG_LEVEL', 'RIALTO_SYSTEM_PROMPT', 'DATABASE_URL']) delete environment[name];
  return environment;
}

async function startUpstream(): Promise<{ child: Child; port: number }> {
  const child = startChild('fast upstream', ['--import', 'tsx', UPSTREAM_SCRIPT, '0'], process.env);
  const match = await waitForLine(child, /LISTENING (\d+)\n/, 20_000);
  return { child, port: Number(match[1]) };
}

async function startRialto(upstreamPort: number): Promise<{ child: Child; origin: string; apiKey: string }> {
  temporaryDirectory = mkdtempSync(join(tmpdir(), 'rialto-bench-'));
  const port = await freePort();
  const configFile = join(temporaryDirectory, 'rialto.yaml');
  const config = {
    server: { host: '127.0.0.1', port },
    logLevel: 'silent',
    dataDirectory: join(temporaryDirectory, 'data'),
    discoverModels: false,
    models: [{ id: RIALTO_MODEL, engine: { kind: 'openai-compatible', endpoints: [{ url: `http://127.0.0.1:${upstreamPort}/v1` }], model: UPSTREAM_MODEL } }],
  };
  writeFileSync(configFile, `# JSON is YAML.\n${JSON.stringify(config, null, 2)}\n`);
  const environment = rialtoEnvironment();
  const { stdout } = await promisify(execFile)(process.execPath, [RIALTO_BIN, 'keys', 'create', '--type', 'INFERENCE', '--description', 'bench', '--config', configFile], { cwd: ROOT, env: environment });
  const apiKey = stdout.trim();
  if (!apiKey.startsWith('rk-')) throw new Error(`'rialto keys create' printed no key: ${stdout}`);
  const nodeArguments = process.env.BENCH_RIALTO_NODE_ARGS?.split(' ').filter((part) => part !== '') ?? [];
  const child = startChild('Rialto', [...nodeArguments, RIALTO_BIN, 'serve', '--config', configFile], environment);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running(child.process)) throw new Error(`Rialto exited before it was ready:\n${child.output()}`);
    try {
      const response = await undiciRequest(`${origin}/api/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
      const text = await response.body.text();
      if (response.statusCode === 200 && text.includes(`"${RIALTO_MODEL}"`)) break;
      if (Date.now() > deadline) throw new Error(`GET /api/v1/models answered ${response.statusCode}: ${text.slice(0, 300)}`);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Rialto not ready after 30 s (${(error as Error).message}):\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, origin, apiKey };
}

// ---------------------------------------------------------------- CPU time of a child (Linux /proc)

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux port Node runs on. */
const CLOCK_TICKS = 100;

/** utime + stime of `pid` in microseconds, or undefined where /proc is not there. */
function cpuMicros(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
}

// ---------------------------------------------------------------- load generation and checks

interface Target {
  name: 'direct' | 'Rialto';
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  model: string;
  pid: number | undefined;
}

interface Answer { status: number; contentType: string; text: string }

interface RunResult {
  seconds: number;
  /** Milliseconds, one per request, sorted. */
  latencies: Float64Array;
  failures: string[];
  /** CPU time per request of the upstream and of Rialto, µs (undefined without /proc). */
  upstreamCpu: number | undefined;
  rialtoCpu: number | undefined;
  /** TCP connections the upstream accepted during the run (keep-alive working: at most the concurrency). */
  upstreamConnections: number | undefined;
}

interface UpstreamStats { connections: number; requests: number }

/** How a measured run looks at the upstream: its pid (CPU time) and its counters. */
interface Probe {
  upstreamPid: number | undefined;
  stats(): Promise<UpstreamStats>;
}

function requestBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello from the bench.' }],
    max_tokens: 32,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}

function checkUsage(usage: unknown): string | undefined {
  const value = usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  if (value?.prompt_tokens !== UPSTREAM_USAGE.prompt_tokens || value.completion_tokens !== UPSTREAM_USAGE.completion_tokens) return `usage is ${JSON.stringify(usage)}`;
  return undefined;
}

/** Why `answer` is not a well-formed completion of `model` with the upstream's text and usage; undefined when it is. */
function problemOf(answer: Answer, stream: boolean, model: string): string | undefined {
  if (answer.status !== 200) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  try {
    if (!stream) {
      if (!answer.contentType.startsWith('application/json')) return `content-type ${answer.contentType}`;
      const body = JSON.parse(answer.text) as { object?: unknown; model?: unknown; choices?: { message?: { content?: unknown }; finish_reason?: unknown }[]; usage?: unknown };
      if (body.object !== 'chat.completion' || body.model !== model) return `object ${String(body.object)}, model ${String(body.model)}`;
      const choice = body.choices?.[0];
      if (choice?.message?.content !== UPSTREAM_TEXT || choice.finish_reason !== 'stop') return `choice ${JSON.stringify(choice)}`;
      return checkUsage(body.usage);
    }
    if (!answer.contentType.startsWith('text/event-stream')) return `content-type ${answer.contentType}`;
    const events = answer.text.split('\n\n').map((event) => event.trim()).filter((event) => event !== '');
    if (events.at(-1) !== 'data: [DONE]') return `stream does not end with [DONE]: …${answer.text.slice(-120)}`;
    let text = '';
    let finished = false;
    let usage: unknown;
    for (const event of events.slice(0, -1)) {
      if (!event.startsWith('data: ')) return `not a data event: ${event.slice(0, 120)}`;
      const chunk = JSON.parse(event.slice(6)) as { object?: unknown; model?: unknown; choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[]; usage?: unknown };
      if (chunk.object !== 'chat.completion.chunk' || chunk.model !== model) return `chunk ${event.slice(0, 160)}`;
      for (const choice of chunk.choices ?? []) {
        if (typeof choice.delta?.content === 'string') text += choice.delta.content;
        if (choice.finish_reason === 'stop') finished = true;
      }
      if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
    }
    if (text !== UPSTREAM_TEXT) return `streamed text '${text}'`;
    if (!finished) return 'no finish_reason stop';
    return checkUsage(usage);
  } catch (error) {
    return `malformed body (${(error as Error).message}): ${answer.text.slice(0, 160)}`;
  }
}

/** `count` requests with `concurrency` in flight; latency = request start to the whole body read. */
async function load(target: Target, stream: boolean, concurrency: number, count: number, probe: Probe | undefined): Promise<RunResult> {
  const body = requestBody(target.model, stream);
  const latencies = new Float64Array(count);
  const answers = new Array<Answer | string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const start = process.hrtime.bigint();
      try {
        const response = await target.pool.request({ method: 'POST', path: target.path, headers: target.headers, body });
        const text = await response.body.text();
        latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        const contentType = response.headers['content-type'];
        answers[index] = { status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : '', text };
      } catch (error) {
        latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        answers[index] = `request failed: ${(error as Error).message}`;
      }
    }
  };
  const statsBefore = await probe?.stats();
  const upstreamBefore = cpuMicros(probe?.upstreamPid);
  const rialtoBefore = probe !== undefined && target.name === 'Rialto' ? cpuMicros(target.pid) : undefined;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const upstreamAfter = cpuMicros(probe?.upstreamPid);
  const rialtoAfter = probe !== undefined && target.name === 'Rialto' ? cpuMicros(target.pid) : undefined;
  const statsAfter = await probe?.stats();
  if (statsBefore !== undefined && statsAfter !== undefined && statsAfter.requests - statsBefore.requests !== count) {
    throw new Error(`the upstream saw ${statsAfter.requests - statsBefore.requests} requests for ${count} sent (${target.name})`);
  }
  // Checked after the clock stopped, so checking costs neither side any throughput.
  const failures: string[] = [];
  for (const [index, answer] of answers.entries()) {
    const problem = typeof answer === 'string' ? answer : problemOf(answer, stream, target.model);
    if (problem !== undefined) failures.push(`#${index}: ${problem}`);
  }
  return {
    seconds,
    latencies: latencies.sort(),
    failures,
    upstreamCpu: upstreamBefore === undefined || upstreamAfter === undefined ? undefined : (upstreamAfter - upstreamBefore) / count,
    rialtoCpu: rialtoBefore === undefined || rialtoAfter === undefined ? undefined : (rialtoAfter - rialtoBefore) / count,
    upstreamConnections: statsBefore === undefined || statsAfter === undefined ? undefined : statsAfter.connections - statsBefore.connections,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

// ---------------------------------------------------------------- report

interface Row {
  scenario: string;
  concurrency: number;
  direct: RunResult;
  rialto: RunResult;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

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

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
