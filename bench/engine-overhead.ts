/**
 * Embedded engine overhead: tokens/s of the llama-cpp engine through Rialto's HTTP API against node-llama-cpp called
 * directly and against llama.cpp's own llama-server, on the same GGUF, context, sequences and threads, in the same run
 * (issue #8: ≥ 95 % of bare; issue #17: also at 4 concurrent, on the 512-wide model; issue #21: llama-server's speed).
 *
 *   node --import tsx bench/engine-overhead.ts        (npm run bench:engine)
 *
 * A random-weight llama GGUF is written for the run (BENCH_EMBEDDING_LENGTH × BENCH_BLOCK_COUNT, 4096 context).
 * Four sides serve it, so none shares an event loop with another or with the bench (the HTTP client):
 *   bare          bench/bare-llama.ts: getLlama, loadModel, createContext, LlamaChat.generateResponse; driven over IPC;
 *   Rialto        `bin/rialto.js serve`: rate limits on (limits it never reaches), a priced model and a funded account,
 *                 so auth, the limiter, the reservation and the settlement all run; streamed chat completions with usage;
 *   llama-server  llama.cpp's server (bench/llama-server.ts), `-np` slots for the sequences, streamed chat completions.
 *   Rialto llama-server  Rialto as above, the model on its `llama-server` kind (the same binary as Rialto's child).
 *   relay llama-server  bench/passthrough.ts (Fastify + undici relaying bytes: no auth, parsing or billing) in front
 *                 of the llama-server side's server: what any Node.js process in between costs on this machine.
 *                 Both llama-server sides are skipped, with how to build it, when scripts/build-llama-server.sh has
 *                 not built it.
 * All get one user message (Rialto's system prompt is ''), temperature 0 and max_tokens BENCH_MAX_TOKENS; the
 * model never emits EOS, so every answer must have exactly that many completion tokens and finish on the length:
 * anything else (or a status other than 200) is a failure, and the bench exits 1. Answers whose text differs from
 * the first bare answer are counted (greedy decoding, but batching changes llama.cpp's numerics), not failed.
 *
 * Each round runs 1 request, then 4 concurrent ones (4 sequences), then 8 (4 waiting for a sequence), on each side, the
 * side going first rotating from round to round; after one warm-up round. Reported: tokens/s over all rounds and their ratio, and the median
 * (and range) of the rounds' own ratios, each from two runs back to back (the machine's load changes least between
 * them). tokens/s = completion tokens ÷ wall time of the run (bare: in its process, from the first generateResponse
 * call to the last answer; Rialto: in the bench, from sending the requests to the last byte of the last stream).
 * Time to first token: bare, to the first onTextChunk; Rialto and llama-server, to the first SSE data line. CPU µs/token: the serving
 * process's CPU time (/proc, all its threads) over the run ÷ tokens generated; bench CPU µs/token: the bench's own,
 * reading Rialto's streams (it shares the cores with both).
 *
 * Environment: BENCH_ROUNDS (10), BENCH_WARMUP_REQUESTS (1,000 short requests a side first), BENCH_MAX_TOKENS (128), BENCH_THREADS (1, both sides), BENCH_EMBEDDING_LENGTH (256),
 * BENCH_BLOCK_COUNT (4), BENCH_FEED_FORWARD_LENGTH (twice the width), BENCH_ISOLATION (the model's engine.isolation, process or none; with process, the CPU figures of
 * the Rialto side leave out its llama.cpp process), BENCH_RIALTO_NODE_ARGS, BENCH_BARE_NODE_ARGS and BENCH_RELAY_NODE_ARGS (extra node flags for that side's process,
 * e.g. --cpu-prof --cpu-prof-dir=/tmp/prof), LLAMA_SERVER_BIN (a llama-server binary instead of the one the script built),
 * BENCH_SIDES (a comma-separated subset of the sides, e.g. `llama-server,Rialto llama-server`; default all).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { writeTinyLlamaGguf } from '../test/fixtures/tiny-gguf.ts';
import type { BareAnswer, BareMessage, RunMessage } from './bare-llama.ts';
import { chatBody, streamedChat, type Answer } from './chat-stream.ts';
import { report, SIDES, type Side, type Totals } from './engine-report.ts';
import { llamaServerBinary, startLlamaServer } from './llama-server.ts';
import { startRialtoSide } from './engine-rialto.ts';
import {
  cpuMicros,
  positiveInteger,
  ROOT,
  runBench,
  startChild,
  temporaryDirectory,
  waitForLine,
} from './harness.ts';

const MODEL = 'engine-bench';
const PROMPT = 'Tell me about the weather in the city today.';
const CONTEXT_SIZE = 4096;
const SEQUENCES = 4;
const LEVELS = [1, SEQUENCES, 2 * SEQUENCES];

const ROUNDS = positiveInteger('BENCH_ROUNDS', 10);
/** Short requests each side serves before round 0 (JIT warm-up; see Runner.warm). */
const WARMUP_REQUESTS = positiveInteger('BENCH_WARMUP_REQUESTS', 1_000);
/** The warm-up's requests: a few tokens, SEQUENCES at a time. */
const WARMUP_TOKENS = 2;
const MAX_TOKENS = positiveInteger('BENCH_MAX_TOKENS', 128);
const THREADS = positiveInteger('BENCH_THREADS', 1);
const EMBEDDING_LENGTH = positiveInteger('BENCH_EMBEDDING_LENGTH', 256);
const BLOCK_COUNT = positiveInteger('BENCH_BLOCK_COUNT', 4);
/** The GGUF's feed-forward width; issue #21's model is 768 wide, 12 layers, 2048 (the fixture's default: twice the width). */
const FEED_FORWARD_LENGTH = positiveInteger('BENCH_FEED_FORWARD_LENGTH', 2 * EMBEDDING_LENGTH);
/** The model's engine.isolation: `process` (its own process, Rialto's default) or `none` (in Rialto's); unset: Rialto's default. */
const ISOLATION = process.env.BENCH_ISOLATION;
if (ISOLATION !== undefined && ISOLATION !== 'process' && ISOLATION !== 'none')
  throw new Error('BENCH_ISOLATION is process or none');
/** The sides to run (BENCH_SIDES, comma-separated): all by default; a pair alone halves a run on a busy machine. */
const CHOSEN = (process.env.BENCH_SIDES ?? SIDES.join(',')).split(',').map((side) => side.trim());
for (const side of CHOSEN)
  if (!(SIDES as readonly string[]).includes(side))
    throw new Error(`BENCH_SIDES: ${side} is not one of ${SIDES.join(', ')}`);
const chosen = (side: Side): boolean => CHOSEN.includes(side);

/** cpuMicros: the serving process's CPU time during the run; clientCpuMicros: the bench's (the HTTP client, or the IPC wait). */
interface Run {
  seconds: number;
  answers: Answer[];
  cpuMicros: number;
  clientCpuMicros: number;
}
/**
 * One side: `run` makes `concurrency` requests at once and measures them; `wake` makes one untimed 1-token request
 * first. A llama-server that sat idle for 300 ms or more answers its next first token 20-35 ms later than a busy one
 * (27.5 ms after 300 ms, 39.0 after 1 s, 6-8 within 100 ms, asked directly on this machine), and the sides take turns:
 * without a wake, a side whose server had just served (the relay and llama-server share one) would start warm and
 * the other cold, which at 1 concurrent and 64 tokens is a fifth of the run.
 */
interface Runner {
  run(concurrency: number): Promise<Run>;
  wake(): Promise<void>;
  /**
   * Serves `requests` requests of WARMUP_TOKENS tokens, SEQUENCES at a time, untimed, before the first round: a
   * Node.js server's request path runs in V8's interpreter until it has run often enough to be compiled (bench/README.md,
   * "Every side is loaded"). A server in service is past that point; so is every side here, warmed alike.
   */
  warm(requests: number): Promise<void>;
}

/** Measures the CPU time of `pid` and of the bench around `run`. */
async function withCpu(
  pid: number | undefined,
  run: () => Promise<Omit<Run, 'cpuMicros' | 'clientCpuMicros'>>,
): Promise<Run> {
  const before = cpuMicros(pid) ?? Number.NaN;
  const clientBefore = process.cpuUsage();
  const result = await run();
  const client = process.cpuUsage(clientBefore);
  return {
    ...result,
    cpuMicros: (cpuMicros(pid) ?? Number.NaN) - before,
    clientCpuMicros: client.user + client.system,
  };
}

/** The bare side: bench/bare-llama.ts in its own process, one IPC message per run. */
async function startBare(modelPath: string): Promise<Runner> {
  const nodeArguments =
    process.env.BENCH_BARE_NODE_ARGS?.split(' ').filter((part) => part !== '') ?? [];
  const child = startChild(
    'bare node-llama-cpp',
    [
      ...nodeArguments,
      '--import',
      'tsx',
      join(ROOT, 'bench', 'bare-llama.ts'),
      modelPath,
      String(CONTEXT_SIZE),
      String(SEQUENCES),
      String(THREADS),
    ],
    process.env,
    true,
  );
  const next = (timeoutMs: number): Promise<BareMessage> =>
    new Promise((resolve, reject) => {
      const onExit = (): void => {
        finish();
        reject(new Error(`${child.name} exited:\n${child.output()}`));
      };
      const onMessage = (message: BareMessage): void => {
        finish();
        resolve(message);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${child.name}: no answer after ${timeoutMs} ms:\n${child.output()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        child.process.off('message', onMessage);
        child.process.off('exit', onExit);
      };
      child.process.on('message', onMessage);
      child.process.once('exit', onExit);
    });
  if ((await next(60_000)).type !== 'ready')
    throw new Error(`${child.name} did not get ready:\n${child.output()}`);
  const toAnswer = (answer: BareAnswer): Answer => ({
    status: 200,
    completionTokens: answer.completionTokens,
    finish: answer.stopReason === 'maxTokens' ? 'length' : answer.stopReason,
    text: answer.text,
    ttftMs: answer.ttftMs,
  });
  const ask = async (concurrency: number, maxTokens: number) => {
    const answered = next(600_000);
    child.process.send({
      type: 'run',
      concurrency,
      prompt: PROMPT,
      maxTokens,
    } satisfies RunMessage);
    const message = await answered;
    if (message.type !== 'result')
      throw new Error(
        `${child.name} failed: ${message.type === 'error' ? message.message : message.type}`,
      );
    return { seconds: message.seconds, answers: message.answers.map(toAnswer) };
  };
  return {
    run: (concurrency) => withCpu(child.process.pid, () => ask(concurrency, MAX_TOKENS)),
    wake: async () => {
      await ask(1, 1);
    },
    warm: async (requests) => {
      for (let served = 0; served < requests; served += SEQUENCES)
        await ask(SEQUENCES, WARMUP_TOKENS);
    },
  };
}

/** A Rialto side serving the GGUF on `engine`; the bench is its HTTP client. */
async function startRialto(
  directory: string,
  name: string,
  engine: Record<string, unknown>,
): Promise<Runner> {
  const { pid, origin, apiKey } = await startRialtoSide(
    directory,
    name,
    MODEL,
    engine,
    CONTEXT_SIZE,
  );
  return httpRunner(pid, origin, '/api/v1/chat/completions', {
    authorization: `Bearer ${apiKey}`,
  });
}

/** Runs `concurrency` streamed chats against an HTTP side at once, timed from sending them to the last byte. */
function httpRunner(
  pid: number | undefined,
  origin: string,
  path: string,
  headers: Record<string, string>,
  closeConnection = false,
): Runner {
  const pool = new Pool(origin, { connections: Math.max(...LEVELS), keepAliveTimeout: 60_000 });
  const request = { path, headers, body: chatBody(MODEL, PROMPT, MAX_TOKENS), closeConnection };
  const wakeRequest = { path, headers, body: chatBody(MODEL, PROMPT, 1), closeConnection };
  const warmRequest = {
    path,
    headers,
    body: chatBody(MODEL, PROMPT, WARMUP_TOKENS),
    closeConnection,
  };
  return {
    run: (concurrency) =>
      withCpu(pid, async () => {
        const started = process.hrtime.bigint();
        const answers = await Promise.all(
          Array.from({ length: concurrency }, () => streamedChat(pool, request, started)),
        );
        return { seconds: Number(process.hrtime.bigint() - started) / 1e9, answers };
      }),
    wake: async () => {
      const answer = await streamedChat(pool, wakeRequest, process.hrtime.bigint());
      if (answer.status !== 200) throw new Error(`wake-up request: status ${answer.status}`);
    },
    warm: async (requests) => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < requests) {
          next += 1;
          const answer = await streamedChat(pool, warmRequest, process.hrtime.bigint());
          if (answer.status !== 200) throw new Error(`warm-up request: status ${answer.status}`);
        }
      };
      await Promise.all(Array.from({ length: SEQUENCES }, worker));
    },
  };
}

/** The llama-server side: `binary` on the GGUF with the same context, sequences and threads. */
async function startLlamaServerSide(
  modelPath: string,
  binary: string,
): Promise<{ runner: Runner; origin: string }> {
  const { child, origin } = await startLlamaServer(binary, modelPath, {
    contextSize: CONTEXT_SIZE,
    sequences: SEQUENCES,
    threads: THREADS,
  });
  // llama-server closes its connection after every stream though it announces keep-alive: a request sent on it at
  // once fails with "other side closed" (20-round runs did, at 8 concurrent), so each gets a connection of its own,
  // as Rialto's llama-server kind asks its child for.
  const runner = httpRunner(child.process.pid, origin, '/v1/chat/completions', {}, true);
  return { runner, origin };
}

/**
 * The relay side: bench/passthrough.ts (Fastify + undici relaying bytes, nothing else) in front of the llama-server
 * side's own server: what any Node.js process between the client and llama-server costs on this machine.
 */
async function startRelaySide(llamaServerOrigin: string): Promise<Runner> {
  const child = startChild(
    'relay',
    [
      ...(process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter((part) => part !== '') ?? []),
      '--import',
      'tsx',
      join(ROOT, 'bench', 'passthrough.ts'),
      llamaServerOrigin,
      '--close-after-stream',
    ],
    process.env,
  );
  const port = (await waitForLine(child, /LISTENING (\d+)\n/, 20_000))[1];
  return httpRunner(child.process.pid, `http://127.0.0.1:${port}`, '/v1/chat/completions', {});
}

/** Why `answer` is wrong (status, token count, finish); undefined when it is right. */
function problemOf(answer: Answer): string | undefined {
  if (answer.status !== 200) return `status ${answer.status}: ${answer.text}`;
  if (answer.completionTokens !== MAX_TOKENS) {
    return `${answer.completionTokens} completion tokens, not ${MAX_TOKENS} (finish: ${answer.finish}${answer.finish === 'length' ? '' : '; the model stopped early, EOS?'})`;
  }
  return answer.finish === 'length'
    ? undefined
    : `finish ${answer.finish} after ${MAX_TOKENS} tokens`;
}

interface Measured {
  /** Keyed `${side} ${concurrency}`, the warm-up left out. */
  totals: Map<string, Totals>;
  /** Per concurrency level, each round's tokens/s of every side (the runs of a round are back to back). */
  roundRates: Map<number, Partial<Record<Side, number>>[]>;
  problems: string[];
  /**
   * Answers whose text differs from the first bare answer: not a failure, since llama.cpp's results depend on how
   * sequences were batched (when the KV cache was filled, too), and greedy decoding follows the smallest difference;
   * llama-server also renders the chat template its own way.
   */
  otherTexts: string[];
}

const tokensOf = (run: Run): number =>
  run.answers.reduce(
    (sum, answer) => sum + (Number.isNaN(answer.completionTokens) ? 0 : answer.completionTokens),
    0,
  );

/**
 * Every side's warm-up requests (Runner.warm), the warm-up round (0), then BENCH_ROUNDS rounds: at each level, every side back to back, the first rotating, each
 * run right after its side's wake-up request (Runner).
 */
async function measure(runners: Partial<Record<Side, Runner>>): Promise<Measured> {
  const measured: Measured = {
    totals: new Map(),
    roundRates: new Map(LEVELS.map((level) => [level, []])),
    problems: [],
    otherTexts: [],
  };
  const present = SIDES.filter((side) => runners[side] !== undefined);
  for (const side of present)
    await runners[side]!.warm(WARMUP_REQUESTS).catch((error: unknown) => {
      throw new Error(`${side}, warm-up`, { cause: error });
    });
  let reference: string | undefined;
  for (let round = 0; round <= ROUNDS; round++) {
    const sides = [
      ...present.slice(round % present.length),
      ...present.slice(0, round % present.length),
    ];
    for (const concurrency of LEVELS) {
      const tokensPerSecond: Partial<Record<Side, number>> = {};
      for (const side of sides) {
        const runner = runners[side]!;
        const run = await runner
          .wake()
          .then(() => runner.run(concurrency))
          .catch((error: unknown) => {
            throw new Error(`${side}, round ${round}, ${concurrency} concurrent`, { cause: error });
          });
        reference ??= run.answers[0]?.text;
        for (const [index, answer] of run.answers.entries()) {
          const where = `round ${round}, ${side}, ${concurrency} concurrent, #${index}`;
          const problem = problemOf(answer);
          if (problem !== undefined) measured.problems.push(`${where}: ${problem}`);
          else if (answer.text !== reference)
            measured.otherTexts.push(`${where}: ${JSON.stringify(answer.text.slice(0, 60))}…`);
        }
        if (round === 0) continue; // the warm-up
        const key = `${side} ${concurrency}`;
        const entry = measured.totals.get(key) ?? {
          tokens: 0,
          seconds: 0,
          cpuMicros: 0,
          clientCpuMicros: 0,
          ttfts: [],
        };
        entry.tokens += tokensOf(run);
        entry.seconds += run.seconds;
        entry.cpuMicros += run.cpuMicros;
        entry.clientCpuMicros += run.clientCpuMicros;
        entry.ttfts.push(...run.answers.map((answer) => answer.ttftMs));
        measured.totals.set(key, entry);
        tokensPerSecond[side] = tokensOf(run) / run.seconds;
      }
      if (round > 0) measured.roundRates.get(concurrency)!.push(tokensPerSecond);
    }
  }
  return measured;
}

async function main(): Promise<number> {
  const directory = temporaryDirectory('rialto-bench-engine-');
  const modelPath = join(directory, 'bench.gguf');
  await writeTinyLlamaGguf(modelPath, {
    embeddingLength: EMBEDDING_LENGTH,
    blockCount: BLOCK_COUNT,
    feedForwardLength: FEED_FORWARD_LENGTH,
    headCount: 8,
    contextLength: CONTEXT_SIZE,
    seed: 7,
  });
  const found = llamaServerBinary();
  const sameModel = {
    path: modelPath,
    sequences: SEQUENCES,
    contextSize: CONTEXT_SIZE,
    threads: THREADS,
  };
  const runners: Partial<Record<Side, Runner>> = {};
  if (chosen('bare')) runners.bare = await startBare(modelPath);
  if (chosen('Rialto'))
    runners.Rialto = await startRialto(directory, 'Rialto', {
      kind: 'llama-cpp',
      ...sameModel,
      ...(ISOLATION === undefined ? {} : { isolation: ISOLATION }),
    });
  if ('binary' in found) {
    if (chosen('llama-server') || chosen('relay llama-server')) {
      const server = await startLlamaServerSide(modelPath, found.binary);
      if (chosen('llama-server')) runners['llama-server'] = server.runner;
      if (chosen('relay llama-server'))
        runners['relay llama-server'] = await startRelaySide(server.origin);
    }
    // Rialto's llama-server kind with the same binary as its child (issue #21, item 2).
    if (chosen('Rialto llama-server'))
      runners['Rialto llama-server'] = await startRialto(directory, 'Rialto llama-server', {
        kind: 'llama-server',
        ...sameModel,
        binary: found.binary,
      });
  }
  process.stdout.write(
    `Embedded engine overhead: ${EMBEDDING_LENGTH}-wide ${BLOCK_COUNT}-layer random GGUF (feed-forward ${FEED_FORWARD_LENGTH}), ${SEQUENCES} sequences, ${THREADS} thread(s), max_tokens ${MAX_TOKENS}, ` +
      `${ROUNDS} rounds after a warm-up; ${availableParallelism()} CPUs, load average ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}\n`,
  );
  if ('missing' in found)
    process.stdout.write(
      `llama-server and Rialto's llama-server kind left out: ${found.missing}\n`,
    );
  const measured = await measure(runners);
  process.stdout.write(`\n${report(measured.totals, measured.roundRates, LEVELS)}\n`);
  process.stdout.write(
    `load average at the end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}\n`,
  );
  const { problems, otherTexts } = measured;
  const answers =
    (ROUNDS + 1) * LEVELS.reduce((sum, level) => sum + Object.keys(runners).length * level, 0);
  process.stdout.write(
    `answers whose text differs from the first bare answer (batching changes llama.cpp's numerics): ${otherTexts.length} of ${answers}\n`,
  );
  for (const note of otherTexts.slice(0, 4)) process.stdout.write(`  ${note}\n`);
  for (const problem of problems.slice(0, 20)) process.stderr.write(`problem: ${problem}\n`);
  if (problems.length > 20) process.stderr.write(`… and ${problems.length - 20} more problems\n`);
  return problems.length === 0 ? 0 : 1;
}

await runBench(main);
