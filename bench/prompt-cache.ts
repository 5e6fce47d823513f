/**
 * Prompt caching on the embedded engine: time to first token of a chat whose long prompt prefix the engine has
 * just evaluated (a cache hit) against the same request on a prefix it has never seen (a miss), in the same run.
 *
 *   node --import tsx bench/prompt-cache.ts        (npm run bench:prompt-cache)
 *
 * Rialto (`bin/rialto.js serve`, a temp config) serves a random-weight llama GGUF written for the run (256-wide,
 * 4 layers: big enough that evaluating the prompt dominates) on one context sequence. Each round sends a miss:
 * a system prompt of about BENCH_PREFIX_TOKENS tokens on a topic no earlier round used, then a hit: the same
 * system prompt with another question. Time to first token is from sending the request to the first SSE data
 * line (Rialto answers the stream's headers and first chunk once the engine has its first token). Every answer
 * is checked: 200, an SSE stream ending in [DONE], and its usage chunk's cached_tokens (a miss reuses at most
 * the template's first tokens; a hit most of the prompt).
 *
 * Environment: BENCH_ROUNDS (default 8), BENCH_PREFIX_TOKENS (about, default 1500).
 */
import { join } from 'node:path';
import { request } from 'undici';
import { writeTinyLlamaGguf } from '../test/fixtures/tiny-gguf.ts';
import {
  createInferenceKey,
  fixed,
  freePort,
  percentile,
  positiveInteger,
  runBench,
  startRialtoServer,
  table,
  temporaryDirectory,
  writeRialtoConfig,
} from './harness.ts';

const MODEL = 'cache-bench';
const WORDS = ['the', 'world', 'is', 'and', 'you', 'hello', 'yes', 'of', 'to', 'in'];

interface Timed {
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
}

/** A system prompt of about `tokens` tokens whose every sentence names `topic`: no two topics share more than the template's start. */
function systemPrompt(topic: number, tokens: number): string {
  const sentence = (index: number): string =>
    `topic ${topic} ${WORDS[index % WORDS.length]} ${WORDS[(index * 7 + topic) % WORDS.length]} ${topic}.`;
  return Array.from({ length: Math.ceil(tokens / 8) }, (_, index) => sentence(index)).join(' ');
}

async function timedChat(
  origin: string,
  apiKey: string,
  system: string,
  question: string,
): Promise<Timed> {
  const started = process.hrtime.bigint();
  const response = await request(`${origin}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: question },
      ],
      max_tokens: 4,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  let ttftMs: number | undefined;
  let text = '';
  for await (const chunk of response.body) {
    if (ttftMs === undefined && String(chunk).includes('data: '))
      ttftMs = Number(process.hrtime.bigint() - started) / 1e6;
    text += String(chunk);
  }
  if (
    response.statusCode !== 200 ||
    ttftMs === undefined ||
    !text.trimEnd().endsWith('data: [DONE]')
  )
    throw new Error(`a bad answer (${response.statusCode}): ${text.slice(0, 300)}`);
  const usageLine = text
    .split('\n')
    .filter((line) => line.startsWith('data: {') && line.includes('"usage"'))
    .at(-1);
  const usage = (
    JSON.parse(usageLine?.slice(6) ?? '{}') as {
      usage?: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    }
  ).usage;
  if (usage === undefined) throw new Error('the stream carried no usage chunk');
  return {
    ttftMs,
    promptTokens: usage.prompt_tokens,
    cachedTokens: usage.prompt_tokens_details.cached_tokens,
  };
}

async function main(): Promise<number> {
  const rounds = positiveInteger('BENCH_ROUNDS', 8);
  const prefixTokens = positiveInteger('BENCH_PREFIX_TOKENS', 1500);
  const directory = temporaryDirectory('rialto-bench-cache-');
  const modelPath = join(directory, 'bench.gguf');
  await writeTinyLlamaGguf(modelPath, {
    embeddingLength: 256,
    blockCount: 4,
    headCount: 8,
    contextLength: 4096,
    seed: 7,
  });
  const port = await freePort();
  const configFile = writeRialtoConfig(directory, {
    server: { port },
    dataDirectory: join(directory, 'data'),
    logLevel: 'silent',
    systemPrompt: '',
    rateLimits: { enabled: false },
    discoverModels: false,
    models: [
      {
        id: MODEL,
        engine: { kind: 'llama-cpp', path: modelPath, sequences: 1, contextSize: 4096 },
        contextLength: 4096,
      },
    ],
  });
  const apiKey = await createInferenceKey(configFile);
  const { origin } = await startRialtoServer('rialto', configFile, port, apiKey, MODEL);
  await timedChat(origin, apiKey, systemPrompt(0, 64), 'hello'); // warm-up: loads the weights' pages, builds the graph

  const misses: Timed[] = [];
  const hits: Timed[] = [];
  for (let round = 1; round <= rounds; round++) {
    const system = systemPrompt(round, prefixTokens);
    misses.push(await timedChat(origin, apiKey, system, 'hello world'));
    hits.push(await timedChat(origin, apiKey, system, 'yes you'));
  }
  const problems = [
    ...misses
      .filter((miss) => miss.cachedTokens > 16)
      .map((miss) => `a miss reused ${miss.cachedTokens} tokens`),
    ...hits
      .filter((hit) => hit.cachedTokens < hit.promptTokens * 0.9)
      .map((hit) => `a hit reused only ${hit.cachedTokens} of ${hit.promptTokens} tokens`),
  ];
  const summary = (runs: Timed[]): string[] => {
    const sorted = Float64Array.from(runs.map((run) => run.ttftMs)).sort();
    return [
      fixed(percentile(sorted, 50), 1),
      fixed(percentile(sorted, 90), 1),
      String(Math.round(runs.reduce((sum, run) => sum + run.promptTokens, 0) / runs.length)),
      String(Math.round(runs.reduce((sum, run) => sum + run.cachedTokens, 0) / runs.length)),
    ];
  };
  const median = (runs: Timed[]): number =>
    percentile(Float64Array.from(runs.map((run) => run.ttftMs)).sort(), 50);
  process.stdout.write(
    `Prompt caching, llama.cpp (256-wide, 4-layer random GGUF, 1 sequence), ${rounds} rounds\n\n`,
  );
  process.stdout.write(
    `${table(
      ['request', 'TTFT p50 ms', 'TTFT p90 ms', 'prompt tokens', 'cached tokens'],
      [
        ['miss (new prefix)', ...summary(misses)],
        ['hit (same prefix)', ...summary(hits)],
      ],
    )}\n\n`,
  );
  process.stdout.write(
    `hit / miss time to first token (p50): ${fixed(median(hits) / median(misses), 3)}\n`,
  );
  for (const problem of problems) process.stderr.write(`problem: ${problem}\n`);
  return problems.length === 0 ? 0 : 1;
}

await runBench(main);
