/**
 * Shared by the benchmarks (gateway-overhead.ts, accounts-overhead.ts, prompt-cache.ts, engine-overhead.ts): child
 * processes and their cleanup, the fast upstream and Rialto processes, CPU time from /proc, the load generator with
 * its response checks, percentiles and plain-text tables.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect, promisify } from 'node:util';
import { type Pool, request as undiciRequest } from 'undici';
import { buildIsCurrent } from '../bin/build-state.js';
import { UPSTREAM_TEXT, UPSTREAM_USAGE } from './fast-upstream.ts';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const UPSTREAM_SCRIPT = join(ROOT, 'bench', 'fast-upstream.ts');
export const RIALTO_BIN = join(ROOT, 'bin', 'rialto.js');
/** The model name the upstream reports; Rialto models point at it. */
export const UPSTREAM_MODEL = 'bench-upstream';

// ---------------------------------------------------------------- settings

/** A positive integer from the environment variable `name`, else `fallback`; throws on anything else. */
export function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (got '${raw}')`);
  return value;
}

/** BENCH_CONCURRENCY: one level (run besides 1) or a comma list of the exact levels; `fallback` (1 and 32) when unset. */
export function concurrencyLevels(fallback: number[] = [1, 32]): number[] {
  const raw = process.env.BENCH_CONCURRENCY?.trim();
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1))
    throw new Error(
      `BENCH_CONCURRENCY must be a positive integer or a comma list of them (got '${raw}')`,
    );
  const levels = raw.includes(',') ? values : [1, ...values];
  return [...new Set(levels)];
}

/** BENCH_RIALTO_NODE_ARGS split into node flags (none when unset). */
export function rialtoNodeArguments(): string[] {
  return process.env.BENCH_RIALTO_NODE_ARGS?.split(' ').filter((part) => part !== '') ?? [];
}

// ---------------------------------------------------------------- child processes and cleanup

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last few KB of its stdout and stderr, for error messages. */
  output(): string;
}

const children: Child[] = [];
const temporaryDirectories: string[] = [];
/** Async clean-up steps (Redis keys, a database schema) run after the children stopped, last registered first. */
const cleanupSteps: { name: string; run: () => Promise<void> }[] = [];

/** A new temp folder, removed by the clean-up whatever happens. */
export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

/** Runs `run` during the clean-up (after every child stopped, also on error or SIGINT/SIGTERM). */
export function onCleanup(name: string, run: () => Promise<void>): void {
  cleanupSteps.push({ name, run });
}

/** Starts `node ARGS` (or `command ARGS`) as child `name`, stopped by the clean-up; `ipc` opens a message channel (child.send / process.send). */
export function startChild(
  name: string,
  args: string[],
  environment: NodeJS.ProcessEnv,
  ipc = false,
  command = process.execPath,
): Child {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: environment,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (piece: Buffer): void => {
    tail = (tail + piece.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const entry = { name, process: child, output: () => tail.trim() };
  children.push(entry);
  return entry;
}

export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Synchronous last resort (process 'exit', signals): kill what still runs, remove the temp folders. */
function cleanupNow(): void {
  for (const child of children) if (running(child.process)) child.process.kill('SIGKILL');
  for (const directory of temporaryDirectories.splice(0))
    rmSync(directory, { recursive: true, force: true });
}

/** Asks `child` to stop (SIGTERM, then SIGKILL after 3 s); resolves once it exited. */
export async function stopChild({ process: child }: Child): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (running(child)) child.kill('SIGKILL');
  }, 3000);
  await exited;
  clearTimeout(timer);
}

/** Runs the registered clean-up steps once each (last registered first); a failing step is reported, not thrown. */
async function runCleanupSteps(): Promise<void> {
  for (const step of cleanupSteps.splice(0).reverse()) {
    try {
      await step.run();
    } catch (error) {
      process.stderr.write(`clean-up (${step.name}) failed: ${(error as Error).message}\n`);
    }
  }
}

/** Stops every child (SIGTERM, then SIGKILL after 3 s), runs the clean-up steps, removes the temp folders. */
export async function cleanup(): Promise<void> {
  await Promise.all(children.map(stopChild));
  await runCleanupSteps();
  cleanupNow();
}

process.on('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping.\n`);
    cleanupNow();
    // The async steps (Redis, PostgreSQL) get 10 s; the children are gone already.
    setTimeout(() => process.exit(130), 10_000).unref();
    void runCleanupSteps().finally(() => process.exit(130));
  });
}

/** Resolves when `child` prints a line matching `pattern`; rejects if it exits first or after `timeoutMs`. */
export function waitForLine(
  child: Child,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (piece: Buffer): void => {
      buffer += piece.toString('utf8');
      const match = pattern.exec(buffer);
      if (match !== null) {
        finish();
        resolve(match);
      }
    };
    const onExit = (): void => {
      finish();
      reject(new Error(`${child.name} exited before it was ready:\n${child.output()}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output()}`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      child.process.off('exit', onExit);
    };
    child.process.stdout?.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/** A free TCP port on 127.0.0.1 (listen on 0, read the port, close). */
export function freePort(): Promise<number> {
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
export function rialtoEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of [
    'RIALTO_CONFIG',
    'RIALTO_HOST',
    'RIALTO_PORT',
    'RIALTO_DATA_DIR',
    'RIALTO_LOG_LEVEL',
    'RIALTO_SYSTEM_PROMPT',
    'DATABASE_URL',
  ])
    delete environment[name];
  return environment;
}

export async function startUpstream(): Promise<{ child: Child; port: number }> {
  const child = startChild('fast upstream', ['--import', 'tsx', UPSTREAM_SCRIPT, '0'], process.env);
  const match = await waitForLine(child, /LISTENING (\d+)\n/, 20_000);
  return { child, port: Number(match[1]) };
}

/** Writes `config` as `<directory>/rialto.yaml` (JSON is YAML); the file's path. */
export function writeRialtoConfig(directory: string, config: Record<string, unknown>): string {
  const configFile = join(directory, 'rialto.yaml');
  // BENCH_BUDGET_LEASES=1: requests reserve and settle against budget leases in memory (billing.budgetLeases).
  const written =
    process.env.BENCH_BUDGET_LEASES === '1' && config.billing === undefined
      ? { ...config, billing: { budgetLeases: { enabled: true } } }
      : config;
  writeFileSync(configFile, `# JSON is YAML.\n${JSON.stringify(written, null, 2)}\n`);
  return configFile;
}

/** Runs `rialto ARGS --config FILE` to completion; its stdout. */
export async function rialtoCli(args: string[], configFile: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [RIALTO_BIN, ...args, '--config', configFile],
    { cwd: ROOT, env: rialtoEnvironment() },
  );
  return stdout;
}

/** A new INFERENCE key (of the 'default' account) made with `rialto keys create`. */
export async function createInferenceKey(configFile: string): Promise<string> {
  const stdout = await rialtoCli(
    ['keys', 'create', '--type', 'INFERENCE', '--description', 'bench'],
    configFile,
  );
  const apiKey = stdout.trim();
  if (!apiKey.startsWith('rk-')) throw new Error(`'rialto keys create' printed no key: ${stdout}`);
  return apiKey;
}

/** Whether the note that Rialto runs from its sources has been printed (once a bench). */
let sourcesNoted = false;

/**
 * Starts `rialto serve --config FILE` (as child `name`, with BENCH_RIALTO_NODE_ARGS) listening on `port`,
 * and waits until GET /api/v1/models with `apiKey` lists `model`. `withNodeArguments: false` leaves
 * BENCH_RIALTO_NODE_ARGS out (to profile only some of several Rialto processes).
 */
export async function startRialtoServer(
  name: string,
  configFile: string,
  port: number,
  apiKey: string,
  model: string,
  withNodeArguments = true,
): Promise<{ child: Child; origin: string }> {
  // bin/rialto.js runs the sources through tsx when they changed since the build (not what the package ships): a
  // bench's output says so, since its figures are then not the compiled build's.
  if (!sourcesNoted && !buildIsCurrent(pathToFileURL(`${ROOT}/`))) {
    sourcesNoted = true;
    process.stdout.write(
      'NOTE: Rialto runs from its TypeScript sources through tsx (no build, or sources changed since it): run `npm run build` first for the figures of the compiled build.\n',
    );
  }
  const child = startChild(
    name,
    [
      ...(withNodeArguments ? rialtoNodeArguments() : []),
      RIALTO_BIN,
      'serve',
      '--config',
      configFile,
    ],
    rialtoEnvironment(),
  );
  const origin = `http://127.0.0.1:${port}`;
  // BENCH_READY_TIMEOUT_S: a machine shared with other work can take a minute or more to start Rialto.
  const readySeconds = positiveInteger('BENCH_READY_TIMEOUT_S', 30);
  const deadline = Date.now() + readySeconds * 1000;
  for (;;) {
    if (!running(child.process))
      throw new Error(`${name} exited before it was ready:\n${child.output()}`);
    try {
      const response = await undiciRequest(`${origin}/api/v1/models`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const text = await response.body.text();
      if (response.statusCode === 200 && text.includes(`"${model}"`)) break;
      if (Date.now() > deadline)
        throw new Error(
          `GET /api/v1/models answered ${response.statusCode}: ${text.slice(0, 300)}`,
        );
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(
          `${name} not ready after ${readySeconds} s (${(error as Error).message}):\n${child.output()}`,
        );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, origin };
}

/** Prices per 1M tokens of a billed bench model: every request reserves its worst case and settles its cost. */
export const BENCH_PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 4, diem: 4 } };
/** Limits no bench run can reach, for every text class: every request is counted by the limiter, none refused. */
export const UNREACHABLE_LIMITS = {
  requestsPerMinute: 1_000_000_000,
  tokensPerMinute: 1_000_000_000_000,
};

/** What a billed Rialto may change from startBilledRialto's defaults. */
export interface BilledRialtoOptions {
  /** Its folder (config and data); a new temp folder (removed at clean-up) by default. */
  directory?: string;
  /** Its name in the bench's output and errors; 'Rialto' by default. */
  name?: string;
  /** USD added to its account; '100000' by default. */
  balanceUsd?: string;
  /** More fields of the model entry (e.g. contextLength). */
  model?: Record<string, unknown>;
  /** More top-level config (e.g. systemPrompt). */
  config?: Record<string, unknown>;
}

/**
 * Starts Rialto with keys, limits and billing on (issue #8): a temp config and data folder, the in-memory limiter with
 * limits no run reaches, one priced model `modelId` on `engine`, an INFERENCE key and 100,000 USD on its account.
 */
export async function startBilledRialto(
  prefix: string,
  modelId: string,
  engine: Record<string, unknown>,
  options: BilledRialtoOptions = {},
): Promise<{ child: Child; origin: string; apiKey: string }> {
  const directory = options.directory ?? temporaryDirectory(prefix);
  const port = await freePort();
  const configFile = writeRialtoConfig(directory, {
    server: { host: '127.0.0.1', port },
    logLevel: 'silent',
    dataDirectory: join(directory, 'data'),
    discoverModels: false,
    rateLimits: {
      enabled: true,
      store: 'memory',
      overrides: {
        XS: UNREACHABLE_LIMITS,
        S: UNREACHABLE_LIMITS,
        M: UNREACHABLE_LIMITS,
        L: UNREACHABLE_LIMITS,
      },
    },
    models: [{ id: modelId, engine, pricing: BENCH_PRICING, ...options.model }],
    ...options.config,
  });
  const apiKey = await createInferenceKey(configFile);
  await rialtoCli(['balance', 'add', options.balanceUsd ?? '100000'], configFile);
  const name = options.name ?? 'Rialto';
  const { child, origin } = await startRialtoServer(name, configFile, port, apiKey, modelId);
  return { child, origin, apiKey };
}

// ---------------------------------------------------------------- CPU time of a child (Linux /proc)

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux port Node runs on. */
const CLOCK_TICKS = 100;

/** utime + stime of `pid` in microseconds, or undefined where /proc is not there. */
export function cpuMicros(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
}

// ---------------------------------------------------------------- load generation and checks

export interface Target {
  /** 'direct' for the upstream itself; any other name is a Rialto process, whose CPU time is measured. */
  name: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  model: string;
  pid: number | undefined;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export interface RunResult {
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

export interface UpstreamStats {
  connections: number;
  requests: number;
}

/** How a measured run looks at the upstream: its pid (CPU time) and its counters. */
export interface Probe {
  upstreamPid: number | undefined;
  stats(): Promise<UpstreamStats>;
}

export function requestBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello from the bench.' }],
    max_tokens: 32,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}

function checkUsage(usage: unknown): string | undefined {
  const value = usage as
    | { prompt_tokens?: unknown; completion_tokens?: unknown }
    | null
    | undefined;
  if (
    value?.prompt_tokens !== UPSTREAM_USAGE.prompt_tokens ||
    value.completion_tokens !== UPSTREAM_USAGE.completion_tokens
  )
    return `usage is ${JSON.stringify(usage)}`;
  return undefined;
}

/** Why `answer` is not a well-formed completion of `model` with the upstream's text and usage; undefined when it is. */
export function problemOf(answer: Answer, stream: boolean, model: string): string | undefined {
  if (answer.status !== 200) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  try {
    if (!stream) {
      if (!answer.contentType.startsWith('application/json'))
        return `content-type ${answer.contentType}`;
      const body = JSON.parse(answer.text) as {
        object?: unknown;
        model?: unknown;
        choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
        usage?: unknown;
      };
      if (body.object !== 'chat.completion' || body.model !== model)
        return `object ${String(body.object)}, model ${String(body.model)}`;
      const choice = body.choices?.[0];
      if (choice?.message?.content !== UPSTREAM_TEXT || choice.finish_reason !== 'stop')
        return `choice ${JSON.stringify(choice)}`;
      return checkUsage(body.usage);
    }
    if (!answer.contentType.startsWith('text/event-stream'))
      return `content-type ${answer.contentType}`;
    const events = answer.text
      .split('\n\n')
      .map((event) => event.trim())
      .filter((event) => event !== '');
    if (events.at(-1) !== 'data: [DONE]')
      return `stream does not end with [DONE]: …${answer.text.slice(-120)}`;
    let text = '';
    let finished = false;
    let usage: unknown;
    for (const event of events.slice(0, -1)) {
      if (!event.startsWith('data: ')) return `not a data event: ${event.slice(0, 120)}`;
      const chunk = JSON.parse(event.slice(6)) as {
        object?: unknown;
        model?: unknown;
        choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
        usage?: unknown;
      };
      if (chunk.object !== 'chat.completion.chunk' || chunk.model !== model)
        return `chunk ${event.slice(0, 160)}`;
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
export async function load(
  target: Target,
  stream: boolean,
  concurrency: number,
  count: number,
  probe: Probe | undefined,
): Promise<RunResult> {
  const body = requestBody(target.model, stream);
  const latencies = new Float64Array(count);
  const answers = new Array<Answer | string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const start = process.hrtime.bigint();
      try {
        const response = await target.pool.request({
          method: 'POST',
          path: target.path,
          headers: target.headers,
          body,
        });
        const text = await response.body.text();
        latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        const contentType = response.headers['content-type'];
        answers[index] = {
          status: response.statusCode,
          contentType: typeof contentType === 'string' ? contentType : '',
          text,
        };
      } catch (error) {
        latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        answers[index] = `request failed: ${(error as Error).message}`;
      }
    }
  };
  const statsBefore = await probe?.stats();
  const upstreamBefore = cpuMicros(probe?.upstreamPid);
  const rialtoBefore =
    probe !== undefined && target.name !== 'direct' ? cpuMicros(target.pid) : undefined;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const upstreamAfter = cpuMicros(probe?.upstreamPid);
  const rialtoAfter =
    probe !== undefined && target.name !== 'direct' ? cpuMicros(target.pid) : undefined;
  const statsAfter = await probe?.stats();
  if (
    statsBefore !== undefined &&
    statsAfter !== undefined &&
    statsAfter.requests - statsBefore.requests !== count
  ) {
    throw new Error(
      `the upstream saw ${statsAfter.requests - statsBefore.requests} requests for ${count} sent (${target.name})`,
    );
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
    upstreamCpu:
      upstreamBefore === undefined || upstreamAfter === undefined
        ? undefined
        : (upstreamAfter - upstreamBefore) / count,
    rialtoCpu:
      rialtoBefore === undefined || rialtoAfter === undefined
        ? undefined
        : (rialtoAfter - rialtoBefore) / count,
    upstreamConnections:
      statsBefore === undefined || statsAfter === undefined
        ? undefined
        : statsAfter.connections - statsBefore.connections,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    Number.NaN
  );
}

// ---------------------------------------------------------------- report

/** A plain-text table: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
  ].join('\n');
}

export const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
export const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

/** A bench's entry point: runs `main`, sets the exit code from it (1 on a throw), and always cleans up. */
export async function runBench(main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    // inspect, not .stack: it prints the cause (which side and round failed, and the error beneath).
    process.stderr.write(`bench failed: ${inspect(error)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
