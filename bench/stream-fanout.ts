/**
 * Streaming fan-out (issue #8, benchmark 2): BENCH_STREAMS (10,000) SSE chat streams open at the same time through one
 * Rialto process, against the same streams opened directly on the upstream, in the same run.
 *
 *   node --import tsx bench/stream-fanout.ts        (npm run bench:fanout)
 *
 * Processes: this one (the clients: one HTTP/1.1 connection per stream to Rialto, as SSE clients do), the upstream
 * (bench/h2-upstream.ts: an OpenAI-compatible server over HTTP/2 with TLS) and Rialto (`rialto serve`, keys, rate
 * limits and billing on). Rialto reaches the upstream over HTTP/2 (endpoint `http2: true`): a process may hold 20,000
 * descriptors here (`ulimit -Hn`), and one socket per stream on both sides would need 20,000 for 10,000 streams.
 *
 * Each phase (direct, then via Rialto): the upstream holds every stream after its first chunk; once all are open the
 * processes' memory is read (/proc VmRSS) against the reading before they opened; then the upstream releases them all
 * and sends the rest of every answer (BENCH_CHUNKS content chunks, a finish chunk, a usage chunk, [DONE]) at once.
 * Time per relayed chunk = the process's CPU time from the release to the last stream's end ÷ the SSE events the
 * clients received. Every stream must end with [DONE] and carry the upstream's text; any failure exits 1.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { connect, type ClientHttp2Session } from 'node:http2';
import { Pool } from 'undici';
import { http2ChatText } from '../test/support/upstream/http2-chat-server.ts';
import type { UpstreamCommand, UpstreamMessage } from './h2-upstream.ts';
import {
  cpuMicros,
  fixed,
  positiveInteger,
  runBench,
  startBilledRialto,
  startChild,
  table,
  ROOT,
  type Child,
} from './harness.ts';

const STREAMS = positiveInteger('BENCH_STREAMS', 10_000);
const CHUNKS = positiveInteger('BENCH_CHUNKS', 32);
/** Streams per HTTP/2 connection, Rialto's and the direct clients'; connections = streams / this, rounded up. */
const STREAMS_PER_CONNECTION = 2500;
/** Allowed beyond it: undici's HTTP/2 client was seen to leave a request queued when a connection is exactly full. */
const STREAM_HEADROOM = 100;
const UPSTREAM_MODEL = 'h2-upstream';
const RIALTO_MODEL = 'fanout';
/** Streams opened at once while ramping up. */
const RAMP_WAVE = 500;
const PHASE_TIMEOUT_MS = positiveInteger('BENCH_TIMEOUT_S', 300) * 1000;
/** Where Rialto writes heap snapshots before the streams open and with every one open (measured phase), when set. */
const SNAPSHOT_DIRECTORY = process.env.BENCH_HEAP_SNAPSHOT_DIR;
if (SNAPSHOT_DIRECTORY !== undefined) {
  process.env.BENCH_RIALTO_NODE_ARGS = `${process.env.BENCH_RIALTO_NODE_ARGS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOT_DIRECTORY}`;
}

// ---------------------------------------------------------------- processes

interface Upstream {
  child: Child;
  url: string;
  certFile: string;
  command(type: UpstreamCommand['type']): Promise<Extract<UpstreamMessage, { type: 'stats' }>>;
}

async function startUpstream(): Promise<Upstream> {
  const child = startChild(
    'HTTP/2 upstream',
    ['--import', 'tsx', join(ROOT, 'bench', 'h2-upstream.ts'), String(CHUNKS)],
    process.env,
    true,
  );
  const ready = await new Promise<Extract<UpstreamMessage, { type: 'ready' }>>(
    (resolve, reject) => {
      child.process.once('message', (message: UpstreamMessage) =>
        message.type === 'ready' ? resolve(message) : reject(new Error('unexpected message')),
      );
      child.process.once('exit', () =>
        reject(new Error(`the upstream exited:\n${child.output()}`)),
      );
    },
  );
  // One command at a time: each answer is the next stats message.
  let queue = Promise.resolve() as Promise<unknown>;
  const command = (
    type: UpstreamCommand['type'],
  ): Promise<Extract<UpstreamMessage, { type: 'stats' }>> => {
    const answer = queue.then(
      () =>
        new Promise<Extract<UpstreamMessage, { type: 'stats' }>>((resolve) => {
          child.process.once('message', (message: UpstreamMessage) =>
            resolve(message as Extract<UpstreamMessage, { type: 'stats' }>),
          );
          child.process.send({ type } satisfies UpstreamCommand);
        }),
    );
    queue = answer;
    return answer;
  };
  return { child, url: ready.url, certFile: ready.certFile, command };
}

function startRialto(upstream: Upstream): ReturnType<typeof startBilledRialto> {
  return startBilledRialto('rialto-fanout-', RIALTO_MODEL, {
    kind: 'openai-compatible',
    model: UPSTREAM_MODEL,
    maxConnections: Math.ceil(STREAMS / STREAMS_PER_CONNECTION),
    timeoutMs: PHASE_TIMEOUT_MS,
    endpoints: [
      {
        url: upstream.url,
        http2: true,
        maxStreamsPerConnection: STREAMS_PER_CONNECTION + STREAM_HEADROOM,
        caFile: upstream.certFile,
      },
    ],
  });
}

/** Resident memory of `pid` in bytes (VmRSS), or NaN without /proc. */
function rssBytes(pid: number | undefined): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Has `pid` write a heap snapshot into `directory` (it was started with --heapsnapshot-signal) and waits for it. */
async function heapSnapshot(pid: number, directory: string): Promise<void> {
  const snapshots = (): string[] =>
    readdirSync(directory).filter((name) => name.endsWith('.heapsnapshot'));
  const before = snapshots().length;
  process.kill(pid, 'SIGUSR2');
  // The file appears when the snapshot starts; its size settles when it is written.
  let size = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const latest = snapshots().sort().at(-1);
    if (snapshots().length === before || latest === undefined) continue;
    const now = statSync(join(directory, latest)).size;
    if (now === size && now > 0) break;
    size = now;
  }
  process.stdout.write(`  heap snapshot written to ${directory}\n`);
}

// ---------------------------------------------------------------- one phase

/** Sends one streamed chat request; its status and whole body. */
type Send = (body: string) => Promise<{ status: number; text: string }>;

interface Side {
  name: string;
  send: Send;
  model: string;
  pid: number | undefined;
}

/** A Send over HTTP/1.1 through an undici Pool (one connection per open stream). */
function http1Send(pool: Pool, path: string, headers: Record<string, string>): Send {
  return async (body) => {
    const response = await pool.request({ method: 'POST', path, headers, body });
    return { status: response.statusCode, text: await response.body.text() };
  };
}

/** A Send over `sessions` HTTP/2 connections of node:http2, streams spread round robin. */
function http2Send(sessions: ClientHttp2Session[], path: string): Send {
  let next = 0;
  return (body) =>
    new Promise((resolve, reject) => {
      const session = sessions[next++ % sessions.length]!;
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/json',
      });
      let status = 0;
      let text = '';
      stream.setEncoding('utf8');
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.on('data', (piece: string) => {
        text += piece;
      });
      stream.on('end', () => resolve({ status, text }));
      stream.on('error', reject);
      stream.end(body);
    });
}

interface PhaseResult {
  name: string;
  /** ΔRSS of the measured process (Rialto, or the upstream when direct) per open stream, bytes. */
  bytesPerStream: number;
  upstreamBytesPerStream: number;
  openSeconds: number;
  relaySeconds: number;
  events: number;
  /** CPU µs per SSE event delivered: the measured process, and the upstream. */
  cpuPerEvent: number;
  upstreamCpuPerEvent: number;
  failures: string[];
}

function body(model: string): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Stream to me.' }],
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** Why `text` is not a whole stream of the upstream's answer; undefined when it is. The events it holds. */
function checkStream(text: string, model: string): { problem?: string; events: number } {
  const events = text
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event !== '');
  if (events.at(-1) !== 'data: [DONE]')
    return { problem: `no [DONE]: …${text.slice(-100)}`, events: events.length };
  let content = '';
  let usage = false;
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event.slice('data: '.length)) as {
      model?: string;
      choices?: { delta?: { content?: string } }[];
      usage?: unknown;
    };
    if (chunk.model !== model) return { problem: `model ${chunk.model}`, events: events.length };
    content += chunk.choices?.[0]?.delta?.content ?? '';
    if (chunk.usage !== undefined && chunk.usage !== null) usage = true;
  }
  if (content !== http2ChatText(CHUNKS))
    return { problem: `text '${content.slice(0, 60)}'`, events: events.length };
  if (!usage) return { problem: 'no usage chunk', events: events.length };
  return { events: events.length };
}

async function until(
  condition: () => Promise<boolean>,
  what: () => string,
  deadline: number,
): Promise<void> {
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function phase(
  side: Side,
  upstream: Upstream,
  count: number,
  measure: boolean,
): Promise<PhaseResult> {
  const upstreamPid = upstream.child.process.pid;
  const measuredPid = side.pid ?? upstreamPid;
  await upstream.command('hold');
  const before = await upstream.command('stats');
  // A snapshot before the streams open too: the difference between the two is what the open streams hold.
  if (measure && SNAPSHOT_DIRECTORY !== undefined && side.pid !== undefined)
    await heapSnapshot(side.pid, SNAPSHOT_DIRECTORY);
  const [rssBefore, upstreamRssBefore] = [rssBytes(measuredPid), rssBytes(upstreamPid)];
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  const opened = process.hrtime.bigint();
  const payload = body(side.model);
  let settled = 0;
  const ask = async (): Promise<{ problem?: string; events: number }> => {
    try {
      const { status, text } = await side.send(payload);
      if (status !== 200) return { problem: `status ${status}: ${text.slice(0, 160)}`, events: 0 };
      return checkStream(text, side.model);
    } catch (error) {
      return { problem: `request failed: ${(error as Error).message}`, events: 0 };
    } finally {
      settled += 1;
    }
  };
  // Clients arrive in waves of RAMP_WAVE, each once the last is open (10,000 connects at one instant overflow the accept
  // queue and time out); a stream counts as open at the upstream, or as ended (a failure, reported below).
  const answers: Promise<{ problem?: string; events: number }>[] = [];
  let open = 0;
  try {
    while (answers.length < count) {
      const wave = Math.min(RAMP_WAVE, count - answers.length);
      for (let index = 0; index < wave; index += 1) answers.push(ask());
      await until(
        async () => {
          open = (await upstream.command('stats')).open - before.open;
          return open + settled >= answers.length;
        },
        () => `${answers.length} streams open at the upstream (${open} open, ${settled} ended)`,
        deadline,
      );
    }
  } catch (error) {
    await upstream.command('release');
    throw error;
  }
  const openSeconds = Number(process.hrtime.bigint() - opened) / 1e9;
  const [rssOpen, upstreamRssOpen] = [rssBytes(measuredPid), rssBytes(upstreamPid)];
  if (measure && SNAPSHOT_DIRECTORY !== undefined && side.pid !== undefined)
    await heapSnapshot(side.pid, SNAPSHOT_DIRECTORY);
  const [cpuBefore, upstreamCpuBefore] = [
    cpuMicros(measuredPid) ?? Number.NaN,
    cpuMicros(upstreamPid) ?? Number.NaN,
  ];
  const released = process.hrtime.bigint();
  await upstream.command('release');
  const results = await Promise.all(answers);
  const ended = process.hrtime.bigint();
  const relaySeconds = Number(ended - released) / 1e9;
  // The relay window on CLOCK_MONOTONIC in µs, the clock of a V8 CPU profile's timestamps: the span to pass to
  // cpu-profile-summary.ts (FROM TO) for a profile of this phase alone.
  if (measure && SNAPSHOT_DIRECTORY === undefined)
    process.stdout.write(
      `  ${side.name} relay window (monotonic µs): ${released / 1000n} ${ended / 1000n}\n`,
    );
  const [cpuAfter, upstreamCpuAfter] = [
    cpuMicros(measuredPid) ?? Number.NaN,
    cpuMicros(upstreamPid) ?? Number.NaN,
  ];
  const events = results.reduce((sum, result) => sum + result.events, 0);
  const failures = results.flatMap((result, index) =>
    result.problem === undefined ? [] : [`#${index}: ${result.problem}`],
  );
  if (measure) {
    process.stdout.write(
      `  ${side.name.padEnd(10)} ${count} streams open in ${fixed(openSeconds, 1)} s, all answered ${fixed(relaySeconds, 2)} s after the release` +
        `${failures.length > 0 ? `, ${failures.length} FAILED` : ''}\n`,
    );
  }
  return {
    name: side.name,
    openSeconds,
    relaySeconds,
    events,
    failures,
    bytesPerStream: (rssOpen - rssBefore) / count,
    upstreamBytesPerStream: (upstreamRssOpen - upstreamRssBefore) / count,
    cpuPerEvent: (cpuAfter - cpuBefore) / events,
    upstreamCpuPerEvent: (upstreamCpuAfter - upstreamCpuBefore) / events,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const cores = availableParallelism();
  const started = Date.now();
  process.stdout.write(
    `Rialto streaming fan-out — node ${process.version}, ${cores} CPU cores, load average ${fixed(loadavg()[0], 2)} at start\n`,
  );
  process.stdout.write(
    `${STREAMS} concurrent SSE streams, ${CHUNKS} content chunks each; direct to the upstream (HTTP/2), then through Rialto ` +
      `(HTTP/1.1 from the clients, HTTP/2 to the upstream; keys, limits and billing on).\n`,
  );
  const upstream = await startUpstream();
  const rialto = await startRialto(upstream);
  const ca = [...rootCertificates, readFileSync(upstream.certFile, 'utf8')];
  const connections = Math.ceil(STREAMS / STREAMS_PER_CONNECTION);
  const sessions = Array.from({ length: connections }, () =>
    connect(new URL(upstream.url).origin, {
      ca,
      settings: { maxConcurrentStreams: 100_000 },
      peerMaxConcurrentStreams: 100_000,
      maxSessionMemory: 4096,
    }),
  );
  const rialtoPool = new Pool(rialto.origin, {
    connections: STREAMS,
    connect: { timeout: PHASE_TIMEOUT_MS },
    headersTimeout: PHASE_TIMEOUT_MS,
    bodyTimeout: PHASE_TIMEOUT_MS,
    keepAliveTimeout: 600_000,
  });
  const sides: Side[] = [
    {
      name: 'direct',
      send: http2Send(sessions, '/v1/chat/completions'),
      model: UPSTREAM_MODEL,
      pid: undefined,
    },
    {
      name: 'via Rialto',
      send: http1Send(rialtoPool, '/api/v1/chat/completions', {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.apiKey}`,
      }),
      model: RIALTO_MODEL,
      pid: rialto.child.process.pid,
    },
  ];
  const failures: string[] = [];
  const results: PhaseResult[] = [];
  try {
    // Warm-up: JIT, the HTTP/2 sessions, Rialto's statements; small, so the connections of the measured run are new.
    for (const side of sides)
      failures.push(
        ...(await phase(side, upstream, Math.min(200, STREAMS), false)).failures.map(
          (failure) => `${side.name} warm-up ${failure}`,
        ),
      );
    for (const side of sides) {
      const result = await phase(side, upstream, STREAMS, true);
      failures.push(...result.failures.map((failure) => `${side.name} ${failure}`));
      results.push(result);
    }
  } finally {
    for (const session of sessions) session.close();
    await rialtoPool.close();
  }
  const [direct, via] = results as [PhaseResult, PhaseResult];
  const kb = (bytes: number): string => fixed(bytes / 1024, 1);
  process.stdout.write(
    `\n${table(
      [
        '',
        'streams',
        'open in s',
        'relay s',
        'SSE events',
        'KB / stream (process)',
        'KB / stream (upstream)',
        'CPU µs / event (process)',
        'CPU µs / event (upstream)',
      ],
      results.map((result) => [
        result.name,
        String(STREAMS),
        fixed(result.openSeconds, 1),
        fixed(result.relaySeconds, 2),
        String(result.events),
        kb(result.bytesPerStream),
        kb(result.upstreamBytesPerStream),
        fixed(result.cpuPerEvent, 2),
        fixed(result.upstreamCpuPerEvent, 2),
      ]),
    )}\n`,
  );
  process.stdout.write(
    'process = the upstream when direct, Rialto via Rialto; memory = ΔRSS from before the streams opened to all of them open.\n\n',
  );
  process.stdout.write(
    `Ratios (same run): Rialto memory per stream / upstream's when serving directly: ${fixed(via.bytesPerStream / direct.bytesPerStream, 2)}; ` +
      `Rialto CPU per relayed event / upstream's per event produced: ${fixed(via.cpuPerEvent / direct.cpuPerEvent, 2)}; relay time via Rialto / direct: ${fixed(via.relaySeconds / direct.relaySeconds, 2)}.\n`,
  );
  const completed = STREAMS - via.failures.length;
  process.stdout.write(
    `Targets (issue #8): every stream completes — ${completed === STREAMS ? 'met' : 'MISSED'} (${completed} / ${STREAMS}); ` +
      `< 50 KB per stream — ${via.bytesPerStream < 50 * 1024 ? 'met' : 'MISSED'} (${kb(via.bytesPerStream)} KB).\n`,
  );
  process.stdout.write(
    `Targets (issue #17): ≤ 8 µs of Rialto CPU per relayed event — ${via.cpuPerEvent <= 8 ? 'met' : 'MISSED'} (${fixed(via.cpuPerEvent, 2)}); ` +
      `≤ 20 KB per open stream — ${via.bytesPerStream <= 20 * 1024 ? 'met' : 'MISSED'} (${kb(via.bytesPerStream)} KB).\n`,
  );
  process.stdout.write(`\nTotal ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  if (failures.length > 0) {
    process.stdout.write(
      `\n${failures.length} stream(s) FAILED (first 20):\n${failures
        .slice(0, 20)
        .map((failure) => `  ${failure}`)
        .join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write('Every stream was 200, complete and well-formed.\n');
  return 0;
}

await runBench(main);
