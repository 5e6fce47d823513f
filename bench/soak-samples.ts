/**
 * What the soak (bench/soak.ts) samples of the Rialto process, and the verdicts on those samples. The live heap is
 * what the process reports right after a full GC the soak asks for (soak-harness.ts); RSS, heap used (which also
 * holds garbage not yet collected) and the engine's load come from GET /metrics (prom-client's process_* and
 * nodejs_* series, rialto_engine_*), open descriptors and sockets from /proc/<pid>/fd (Linux).
 */
import { readdir, readlink, readFile } from 'node:fs/promises';

export interface Sample {
  /** Seconds since the load started (negative: before it). */
  t: number;
  rssMb: number;
  /** Heap used right after a full GC: what the process holds. */
  liveHeapMb: number;
  /** Heap used as GET /metrics reports it (live plus garbage). */
  heapUsedMb: number;
  /** The V8 heap's size, used or not (nodejs_heap_size_total_bytes). */
  heapTotalMb: number;
  /** Memory of Buffers and other objects outside the V8 heap (nodejs_external_memory_bytes). */
  externalMb: number;
  fds: number;
  sockets: number;
  /** Calls the engines serve (llama.cpp sequences busy, upstream requests open), all models, and calls queued for one. */
  engineActive: number;
  engineQueued: number;
  reservationsOpen: number;
  /** Operations finished and errors so far. */
  requests: number;
  errors: number;
}

export type ProcessSample = Omit<Sample, 't' | 'requests' | 'errors'>;

const MB = 1024 * 1024;

/** Sum of a metric's values over its label sets (e.g. every model's rialto_engine_active); undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    total = (total ?? 0) + Number(match[1]);
  return total;
}

async function procRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** One sample of process `pid`, whose /metrics is at `metricsUrl`; `liveHeap` runs a full GC there and gives the heap used after it, in bytes. */
export async function sampleProcess(
  pid: number,
  metricsUrl: string,
  liveHeap: () => Promise<number>,
): Promise<ProcessSample> {
  const live = await liveHeap();
  const metrics = await (await fetch(metricsUrl)).text();
  const links = await Promise.all(
    (await readdir(`/proc/${pid}/fd`)).map((fd) =>
      readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''),
    ),
  );
  const rss = metricValue(metrics, 'process_resident_memory_bytes');
  const heap = metricValue(metrics, 'nodejs_heap_size_used_bytes');
  if (heap === undefined) throw new Error('GET /metrics has no nodejs_heap_size_used_bytes');
  return {
    rssMb: rss === undefined ? await procRssMb(pid) : rss / MB,
    liveHeapMb: live / MB,
    heapUsedMb: heap / MB,
    heapTotalMb: (metricValue(metrics, 'nodejs_heap_size_total_bytes') ?? Number.NaN) / MB,
    externalMb: (metricValue(metrics, 'nodejs_external_memory_bytes') ?? Number.NaN) / MB,
    fds: links.length,
    sockets: links.filter((link) => link.startsWith('socket:')).length,
    engineActive: metricValue(metrics, 'rialto_engine_active') ?? 0,
    engineQueued: metricValue(metrics, 'rialto_engine_queued') ?? 0,
    reservationsOpen: metricValue(metrics, 'rialto_reservations_open') ?? 0,
  };
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface SoakCriteria {
  /** The first part of the load not judged for memory (caches, pools and JIT fill up), as a fraction of it. */
  warmUpFraction: number;
  /** Live heap (after a full GC): the least-squares slope over the samples after warm-up, at most this (MB a minute). */
  heapSlopeMbPerMinute: number;
  /** RSS: the median of the last 3 samples minus the median of the first 3 after warm-up, at most this (MB). */
  rssGrowthMb: number;
  /** Descriptors and sockets once the load stopped and idle connections closed: at most the baseline plus this. */
  descriptorSlack: number;
}

/** Checks the samples taken under load against `criteria`; `baseline` and `after` are the idle samples around it. */
export function judge(
  samples: readonly Sample[],
  baseline: ProcessSample,
  after: ProcessSample,
  criteria: SoakCriteria,
): { lines: string[]; failures: string[] } {
  const lines: string[] = [];
  const failures: string[] = [];
  const check = (ok: boolean, line: string): void => {
    lines.push(`${ok ? 'ok  ' : 'FAIL'}  ${line}`);
    if (!ok) failures.push(line);
  };
  const loaded = samples.filter((sample) => sample.t >= 0);
  const end = loaded.at(-1)?.t ?? 0;
  const judged = loaded.filter((sample) => sample.t >= end * criteria.warmUpFraction);
  if (judged.length < 6) {
    check(false, `memory: ${judged.length} samples after warm-up, too few to judge (at least 6)`);
  } else {
    const heapSlope = slope(judged.map((sample) => [sample.t / 60, sample.liveHeapMb] as const));
    check(
      heapSlope <= criteria.heapSlopeMbPerMinute,
      `live heap: slope ${heapSlope.toFixed(2)} MB/min over ${judged.length} samples after warm-up (limit ${criteria.heapSlopeMbPerMinute})`,
    );
    const rssGrowth =
      median(judged.slice(-3).map((sample) => sample.rssMb)) -
      median(judged.slice(0, 3).map((sample) => sample.rssMb));
    check(
      rssGrowth <= criteria.rssGrowthMb,
      `RSS: ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} MB from after warm-up to the end (limit ${criteria.rssGrowthMb})`,
    );
  }
  check(
    after.fds <= baseline.fds + criteria.descriptorSlack,
    `descriptors after the load: ${after.fds}, baseline ${baseline.fds} (slack ${criteria.descriptorSlack})`,
  );
  check(
    after.sockets <= baseline.sockets + criteria.descriptorSlack,
    `sockets after the load: ${after.sockets}, baseline ${baseline.sockets} (slack ${criteria.descriptorSlack})`,
  );
  check(
    after.engineActive === 0 && after.engineQueued === 0,
    `engines after the load: ${after.engineActive} calls busy (llama.cpp sequences, upstream requests), ${after.engineQueued} queued (0 and 0)`,
  );
  check(
    after.reservationsOpen === 0,
    `balance reservations open after the load: ${after.reservationsOpen} (0)`,
  );
  return { lines, failures };
}

/** The samples as a plain-text table. */
export function samplesTable(samples: readonly Sample[]): string {
  const header = [
    't s',
    'RSS MB',
    'live heap MB',
    'heap used MB',
    'heap total MB',
    'external MB',
    'fds',
    'sockets',
    'engine calls',
    'queued',
    'reservations',
    'requests',
    'errors',
  ];
  const rows = samples.map((sample) => [
    sample.t.toFixed(0),
    sample.rssMb.toFixed(1),
    sample.liveHeapMb.toFixed(1),
    sample.heapUsedMb.toFixed(1),
    sample.heapTotalMb.toFixed(1),
    sample.externalMb.toFixed(1),
    String(sample.fds),
    String(sample.sockets),
    String(sample.engineActive),
    String(sample.engineQueued),
    String(sample.reservationsOpen),
    String(sample.requests),
    String(sample.errors),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padStart(widths[column]!)).join('  '))
    .join('\n');
}
