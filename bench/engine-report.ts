/**
 * The tables engine-overhead.ts prints: tokens/s of each side and their ratios at each concurrency level, then time to
 * first token and CPU per token, and the issues' targets, each met or MISSED with its figure.
 */
import { fixed, percentile, table } from './harness.ts';

/** Rialto: its llama-cpp kind (node-llama-cpp); Rialto llama-server: its llama-server kind (llama.cpp's server as a child). */
/** relay llama-server: bench/passthrough.ts in front of the llama-server side's server (the floor of any Node.js proxy). */
export const SIDES = [
  'bare',
  'Rialto',
  'llama-server',
  'Rialto llama-server',
  'relay llama-server',
] as const;
export type Side = (typeof SIDES)[number];
/** One side at one level over the measured rounds: tokens, wall seconds, CPU µs (serving process, bench), TTFTs. */
export interface Totals {
  tokens: number;
  seconds: number;
  cpuMicros: number;
  clientCpuMicros: number;
  ttfts: number[];
}
type RoundRates = Map<number, Partial<Record<Side, number>>[]>;

/** Issue #17: Rialto ≥ 0.95 of bare node-llama-cpp at 1 and 4 concurrent; issue #21: of llama-server, 0.95 at 1, 0.9 at 4 and 8. */
const BARE_TARGETS = new Map([
  [1, 0.95],
  [4, 0.95],
]);
const LLAMA_SERVER_TARGETS = new Map([
  [1, 0.95],
  [4, 0.9],
  [8, 0.9],
]);

interface Summary {
  tokensPerSecond: number;
  ttftP50: number;
  cpuPerToken: number;
  clientCpuPerToken: number;
}

function summaryOf(entry: Totals | undefined): Summary | undefined {
  if (entry === undefined) return undefined;
  return {
    tokensPerSecond: entry.tokens / entry.seconds,
    ttftP50: percentile(Float64Array.from(entry.ttfts).sort(), 50),
    cpuPerToken: entry.cpuMicros / entry.tokens,
    clientCpuPerToken: entry.clientCpuMicros / entry.tokens,
  };
}

/** The median and range of the rounds' own `side ÷ baseline` (runs seconds apart, so the least disturbed by load). */
function perRound(rounds: Partial<Record<Side, number>>[], side: Side, baseline: Side): string {
  const ratios = Float64Array.from(
    rounds.flatMap((rates) =>
      rates[side] === undefined || rates[baseline] === undefined
        ? []
        : [rates[side] / rates[baseline]],
    ),
  ).sort();
  return ratios.length === 0
    ? 'n/a'
    : `${fixed(percentile(ratios, 50), 3)} (${fixed(ratios[0], 2)}–${fixed(ratios.at(-1), 2)})`;
}

const ratio = (top: Summary | undefined, bottom: Summary | undefined): number | undefined =>
  top === undefined || bottom === undefined
    ? undefined
    : top.tokensPerSecond / bottom.tokensPerSecond;

/**
 * Each target met or MISSED with its figure; with `floor`, the same ratio of that side (the bare relay) measured in the
 * same run follows, so a miss the relay shares (the machine's) reads apart from one that is the side's own.
 */
function targetLines(
  summaries: Map<number, Partial<Record<Side, Summary>>>,
  side: Side,
  baseline: Side,
  targets: Map<number, number>,
  floor?: Side,
): string[] {
  const verdict = (value: number | undefined, target: number): string =>
    value === undefined ? 'not measured' : value >= target ? 'met' : 'MISSED';
  return [...targets].map(([concurrency, target]) => {
    const sides = summaries.get(concurrency);
    const value = ratio(sides?.[side], sides?.[baseline]);
    const line = `${side} ÷ ${baseline} at ${concurrency} concurrent ≥ ${target}: ${verdict(value, target)} (${fixed(value, 3)})`;
    if (floor === undefined || value === undefined) return line;
    const relay = ratio(sides?.[floor], sides?.[baseline]);
    if (relay === undefined) return line;
    return `${line}; ${floor} in the same run: ${verdict(relay, target)} (${fixed(relay, 3)}), ${side} ÷ ${floor} ${fixed(value / relay, 3)}`;
  });
}

export function report(
  totals: Map<string, Totals>,
  roundRates: RoundRates,
  levels: number[],
): string {
  const summaries = new Map<number, Partial<Record<Side, Summary>>>();
  for (const level of levels) {
    const entry: Partial<Record<Side, Summary>> = {};
    for (const side of SIDES) {
      const summary = summaryOf(totals.get(`${side} ${level}`));
      if (summary !== undefined) entry[side] = summary;
    }
    summaries.set(level, entry);
  }
  const speed = levels.map((level) => {
    const {
      bare,
      Rialto: rialto,
      'llama-server': server,
      'Rialto llama-server': rialtoServer,
      'relay llama-server': relay,
    } = summaries.get(level)!;
    const rounds = roundRates.get(level) ?? [];
    return [
      String(level),
      fixed(bare?.tokensPerSecond, 1),
      fixed(rialto?.tokensPerSecond, 1),
      fixed(server?.tokensPerSecond, 1),
      fixed(rialtoServer?.tokensPerSecond, 1),
      fixed(ratio(rialto, bare), 3),
      perRound(rounds, 'Rialto', 'bare'),
      fixed(ratio(rialto, server), 3),
      perRound(rounds, 'Rialto', 'llama-server'),
      fixed(ratio(rialtoServer, server), 3),
      perRound(rounds, 'Rialto llama-server', 'llama-server'),
      fixed(ratio(relay, server), 3),
      perRound(rounds, 'relay llama-server', 'llama-server'),
      fixed(ratio(bare, server), 3),
    ];
  });
  const costs = levels.map((level) => {
    const {
      bare,
      Rialto: rialto,
      'llama-server': server,
      'Rialto llama-server': rialtoServer,
      'relay llama-server': relay,
    } = summaries.get(level)!;
    return [
      String(level),
      fixed(bare?.ttftP50, 1),
      fixed(rialto?.ttftP50, 1),
      fixed(server?.ttftP50, 1),
      fixed(rialtoServer?.ttftP50, 1),
      fixed(relay?.ttftP50, 1),
      fixed(bare?.cpuPerToken, 0),
      fixed(rialto?.cpuPerToken, 0),
      fixed(server?.cpuPerToken, 0),
      fixed(rialtoServer?.cpuPerToken, 0),
      fixed(relay?.cpuPerToken, 0),
      fixed(rialto?.clientCpuPerToken, 0),
    ];
  });
  return [
    table(
      [
        'concurrent',
        'tok/s bare',
        'tok/s Rialto',
        'tok/s llama-server',
        'tok/s Rialto llama-server',
        'Rialto / bare',
        'per round p50 (min–max)',
        'Rialto / llama-server',
        'per round p50 (min–max)',
        'Rialto llama-server / llama-server',
        'per round p50 (min–max)',
        'relay / llama-server',
        'per round p50 (min–max)',
        'bare / llama-server',
      ],
      speed,
    ),
    table(
      [
        'concurrent',
        'TTFT p50 bare ms',
        'TTFT p50 Rialto ms',
        'TTFT p50 llama-server ms',
        'TTFT p50 Rialto llama-server ms',
        'TTFT p50 relay ms',
        'CPU µs/tok bare',
        'CPU µs/tok Rialto',
        'CPU µs/tok llama-server',
        'CPU µs/tok Rialto llama-server (HTTP process)',
        'CPU µs/tok relay',
        'bench CPU µs/tok (Rialto)',
      ],
      costs,
    ),
    [
      ...targetLines(summaries, 'Rialto', 'bare', BARE_TARGETS),
      ...targetLines(summaries, 'Rialto', 'llama-server', LLAMA_SERVER_TARGETS),
      ...targetLines(
        summaries,
        'Rialto llama-server',
        'llama-server',
        LLAMA_SERVER_TARGETS,
        'relay llama-server',
      ),
    ].join('\n'),
  ].join('\n\n');
}
