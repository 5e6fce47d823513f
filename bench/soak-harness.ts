/**
 * The soak (issue #10 item 6), shared by `npm run soak` (bench/soak.ts) and its short CI variant
 * (test/e2e/soak-short.test.ts): one Rialto process (SQLite, in-memory rate limiter, logs at info) in front of
 * two replaying upstreams on 127.0.0.1 (one fast, one that spaces its stream chunks, for cuts mid-stream) and the
 * embedded llama.cpp engine on the tiny test GGUF, under the bounded mix of soak-load.ts; samples the process
 * (soak-samples.ts) throughout, then judges memory, descriptors, sockets, engine sequences and the books.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../src/config.ts';
import { toNanos } from '../src/services/billing/money.ts';
import { openStore } from '../src/storage/open-store.ts';
import { tinyModelPath } from '../test/fixtures/tiny-gguf.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../test/support/upstream/upstream-replay-server.ts';
import { RIALTO_BIN } from '../test/support/spawn-rialto.ts';
import { SoakLoad, type LoadSettings } from './soak-load.ts';
import {
  judge,
  sampleProcess,
  type ProcessSample,
  type Sample,
  type SoakCriteria,
} from './soak-samples.ts';

export interface SoakOptions extends LoadSettings {
  seconds: number;
  sampleEveryMs: number;
  /** Load the embedded engine (the tiny GGUF) too. */
  engine: boolean;
  criteria: SoakCriteria;
  /** Progress lines (a sample every so often, phases). */
  log: (line: string) => void;
}

export interface SoakReport {
  samples: Sample[];
  baseline: ProcessSample;
  after: ProcessSample;
  /** Operations finished by kind, and the first unexpected answers. */
  done: Map<string, number>;
  firstErrors: string[];
  /** One line per criterion, `ok` or `FAIL`; `failures` repeats the failed ones. */
  verdicts: string[];
  failures: string[];
}

const FUNDING_USD = 100_000;
/** How long idle connections get to close after the load before descriptors are counted. */
const SETTLE_MS = 30_000;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };

function rialtoEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of [
    'RIALTO_CONFIG',
    'RIALTO_HOST',
    'RIALTO_PORT',
    'RIALTO_DATA_DIR',
    'RIALTO_LOG_LEVEL',
    'DATABASE_URL',
    'REDIS_URL',
  ])
    delete environment[name];
  return environment;
}

function cli(args: string[], configFile: string): string {
  const result = spawnSync(process.execPath, [RIALTO_BIN, ...args, '--config', configFile], {
    encoding: 'utf8',
    env: rialtoEnvironment(),
  });
  if (result.status !== 0) throw new Error(`rialto ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * Preloaded into the soaked process (with --expose-gc): on SIGUSR2 a full GC, then the heap used after it on stderr.
 * The soak's only instrument inside the process; it adds one full GC per sample.
 */
const GC_PROBE_SOURCE =
  'process.on("SIGUSR2", () => { globalThis.gc(); process.stderr.write("SOAK_LIVE_HEAP " + process.memoryUsage().heapUsed + "\\n"); });';
const GC_PROBE = `data:text/javascript,${encodeURIComponent(GC_PROBE_SOURCE)}`;

interface Rialto {
  child: ChildProcessByStdio<null, Readable, Readable>;
  origin: string;
  /** Runs a full GC in the process; the heap used after it, in bytes. */
  liveHeap(): Promise<number>;
}

/** Starts `rialto serve`; its log is read and dropped (the last few KB are kept for errors). */
async function startRialto(configFile: string): Promise<Rialto> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', GC_PROBE, RIALTO_BIN, 'serve', '--config', configFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: rialtoEnvironment() },
  );
  let tail = '';
  const keep = (piece: Buffer): void => {
    tail = (tail + piece.toString('utf8')).slice(-8000);
  };
  const heaps: ((bytes: number) => void)[] = [];
  let pending = '';
  child.stderr.on('data', (piece: Buffer) => {
    pending += piece.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const bytes = /^SOAK_LIVE_HEAP (\d+)$/.exec(line)?.[1];
      if (bytes === undefined) keep(Buffer.from(`${line}\n`));
      else heaps.shift()?.(Number(bytes));
    }
  });
  const liveHeap = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to SIGUSR2 (the live heap probe):\n${tail}`)),
        10_000,
      );
      heaps.push((bytes) => {
        clearTimeout(timer);
        resolve(bytes);
      });
      child.kill('SIGUSR2');
    });
  const origin = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (piece: Buffer) => {
      keep(piece);
      const url = /Rialto listening on (http:\/\/[^\s"/]+)/.exec(tail)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.once('exit', () => reject(new Error(`rialto serve exited before listening:\n${tail}`)));
  });
  return { child, origin, liveHeap };
}

function writeConfig(
  directory: string,
  fast: ReplayServer,
  slow: ReplayServer,
  enginePath: string | undefined,
): string {
  const upstream = (server: ReplayServer, model: string): Record<string, unknown> => ({
    kind: 'openai-compatible',
    model,
    endpoints: [{ url: server.url }],
  });
  const models: Record<string, unknown>[] = [
    { id: 'chat', engine: upstream(fast, 'Qwen/Qwen3-8B'), pricing: PRICING },
    { id: 'slow', engine: upstream(slow, 'Qwen/Qwen3-8B'), pricing: PRICING },
    {
      id: 'embed',
      type: 'embedding',
      engine: upstream(fast, 'BAAI/bge-small-en-v1.5'),
      pricing: PRICING,
    },
  ];
  if (enginePath !== undefined)
    models.push({
      id: 'tiny',
      engine: { kind: 'llama-cpp', path: enginePath, threads: 1, sequences: 2 },
      contextLength: 512,
    });
  const file = join(directory, 'rialto.yaml');
  // JSON is YAML. Limits far above the load: every request is counted, none refused.
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      dataDirectory: join(directory, 'data'),
      logLevel: 'info',
      systemPrompt: '',
      discoverModels: false,
      rateLimits: {
        enabled: true,
        store: 'memory',
        overrides: {
          S: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 },
          embedding: { requestsPerMinute: 1_000_000 },
        },
      },
      models,
    }),
  );
  return file;
}

/** Waits until the idle process has closed what the load opened (or SETTLE_MS passed); the last sample. */
async function settle(
  sample: () => Promise<ProcessSample>,
  done: (current: ProcessSample) => boolean,
): Promise<ProcessSample> {
  const end = Date.now() + SETTLE_MS;
  for (;;) {
    const current = await sample();
    if (done(current) || Date.now() > end) return current;
    await delay(1000);
  }
}

/** The books, read through the store once Rialto stopped: usage records = balance decrease, nothing reserved. */
async function checkBooks(configFile: string): Promise<string[]> {
  const store = await openStore(loadConfig(configFile, rialtoEnvironment()));
  try {
    let charged = 0;
    let records = 0;
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await store.usage.list({
        accountId: 'default',
        currency: 'USD',
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      for (const record of page) charged += record.amount;
      records += page.length;
      const last = page.at(-1);
      if (page.length < 1000 || last === undefined) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const account = await store.accounts.find('default');
    const decrease = toNanos(FUNDING_USD) - (account?.usdBalance ?? 0);
    return [
      `${charged === decrease ? 'ok  ' : 'FAIL'}  books: ${records} usage records sum to ${charged} nanos USD, the balance went down by ${decrease}`,
      `${account?.usdReserved === 0 && account.diemReserved === 0 ? 'ok  ' : 'FAIL'}  books: reserved after the run ${account?.usdReserved} USD / ${account?.diemReserved} DIEM nanos (0 and 0)`,
    ];
  } finally {
    await store.close();
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const directory = mkdtempSync(join(tmpdir(), 'rialto-soak-'));
  const fast = await startReplayServer({ flavor: 'vllm' });
  const slow = await startReplayServer({ flavor: 'vllm', behavior: { chunkDelayMs: 40 } });
  let rialto: Rialto | undefined;
  try {
    const configFile = writeConfig(
      directory,
      fast,
      slow,
      options.engine ? await tinyModelPath() : undefined,
    );
    const adminKey = cli(['keys', 'create', '--type', 'ADMIN'], configFile);
    const inferenceKey = cli(['keys', 'create', '--type', 'INFERENCE'], configFile);
    cli(['balance', 'add', String(FUNDING_USD)], configFile);
    rialto = await startRialto(configFile);
    const pid = rialto.child.pid!;
    const { origin, liveHeap } = rialto;
    const sample = (): Promise<ProcessSample> => sampleProcess(pid, `${origin}/metrics`, liveHeap);
    const load = new SoakLoad(
      { origin, adminKey, inferenceKey, engineModel: options.engine ? 'tiny' : undefined },
      options,
    );

    // A short run of the same mix opens what stays open (pools, the engine's context); then idle, the baseline.
    const warmUp = new SoakLoad(
      { origin, adminKey, inferenceKey, engineModel: options.engine ? 'tiny' : undefined },
      { ...options, engineEveryMs: 0 },
    );
    warmUp.start();
    await delay(3000);
    await warmUp.stop();
    await delay(8000);
    const baseline = await sample();
    log(
      `baseline (idle, after a warm-up of ${warmUp.requests} requests): ${baseline.fds} descriptors, ${baseline.sockets} sockets, RSS ${baseline.rssMb.toFixed(1)} MB, live heap ${baseline.liveHeapMb.toFixed(1)} MB`,
    );

    const samples: Sample[] = [];
    const started = performance.now();
    const record = async (): Promise<Sample> => {
      const taken = {
        t: (performance.now() - started) / 1000,
        ...(await sample()),
        requests: load.requests,
        errors: load.errors,
      };
      samples.push(taken);
      return taken;
    };
    load.start();
    let nextLog = 0;
    while (performance.now() - started < options.seconds * 1000) {
      await delay(
        Math.min(
          options.sampleEveryMs,
          Math.max(0, options.seconds * 1000 - (performance.now() - started)),
        ),
      );
      const taken = await record();
      // Clear what the doubles keep of every request they answered (they are the bench's, not Rialto's, memory).
      fast.requests.splice(0);
      slow.requests.splice(0);
      if (taken.t >= nextLog) {
        log(
          `t=${taken.t.toFixed(0)} s: ${taken.requests} requests, ${taken.errors} errors; RSS ${taken.rssMb.toFixed(1)} MB, live heap ${taken.liveHeapMb.toFixed(1)} MB, ${taken.fds} fds, ${taken.sockets} sockets, ${taken.engineActive} engine calls`,
        );
        nextLog = taken.t + Math.max(10, options.seconds / 20);
      }
    }
    await load.stop();
    await record();
    log(`load stopped after ${load.requests} operations; waiting for idle connections to close`);
    const after = await settle(
      sample,
      (current) =>
        current.fds <= baseline.fds + options.criteria.descriptorSlack &&
        current.sockets <= baseline.sockets + options.criteria.descriptorSlack &&
        current.engineActive === 0 &&
        current.engineQueued === 0 &&
        current.reservationsOpen === 0,
    );

    const { lines, failures } = judge(samples, baseline, after, options.criteria);
    const errorsLine = `answers: ${load.errors} unexpected of ${load.requests} operations (0)`;
    lines.unshift(`${load.errors === 0 ? 'ok  ' : 'FAIL'}  ${errorsLine}`);
    if (load.errors > 0) failures.unshift(errorsLine);
    rialto.child.kill('SIGTERM');
    await once(rialto.child, 'exit');
    for (const line of await checkBooks(configFile)) {
      lines.push(line);
      if (line.startsWith('FAIL')) failures.push(line.slice(6));
    }
    return {
      samples,
      baseline,
      after,
      done: load.done,
      firstErrors: load.firstErrors,
      verdicts: lines,
      failures,
    };
  } finally {
    if (
      rialto !== undefined &&
      rialto.child.exitCode === null &&
      rialto.child.signalCode === null
    ) {
      rialto.child.kill('SIGKILL');
      await once(rialto.child, 'exit');
    }
    await fast.close();
    await slow.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
