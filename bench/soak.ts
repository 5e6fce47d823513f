/**
 * Soak: `npm run soak` (= node --import tsx bench/soak.ts). A bounded mixed load on one Rialto for SOAK_SECONDS
 * (default 600): chat JSON and streams, embeddings, streams cut by the client, key churn through the admin API, and
 * the embedded engine at a low rate (soak-load.ts, soak-harness.ts). Prints the process's samples as a table and
 * one verdict per criterion; exits 1 when one fails. Linux only (/proc).
 *
 * Settings (environment): SOAK_SECONDS, SOAK_RPS (requests a second, default 40), SOAK_CONCURRENCY (workers,
 * default 4), SOAK_SAMPLE_MS (default SOAK_SECONDS × 1000 / 120, 1000..10000), SOAK_ENGINE_EVERY_MS (pause between
 * engine requests, default 2000; 0 leaves the engine out), SOAK_HEAP_SLOPE_MB_PER_MIN and SOAK_RSS_GROWTH_MB (default 1
 * and 32; 8 and 48 for runs under 5 minutes, see SHORT_SOAK_CRITERIA).
 */
import { pathToFileURL } from 'node:url';
import { runSoak } from './soak-harness.ts';
import { samplesTable, type SoakCriteria } from './soak-samples.ts';

/** A non-negative number from the environment variable `name`, else `fallback`. */
function setting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number (got '${raw}')`);
  return value;
}

/** The criteria of a full run (10 minutes): memory judged after the first fifth of the load. */
export const SOAK_CRITERIA: SoakCriteria = {
  warmUpFraction: 0.2,
  heapSlopeMbPerMinute: 1,
  rssGrowthMb: 32,
  descriptorSlack: 2,
};

/**
 * The criteria of a run under 5 minutes (CI's 45 s). Caches and JIT code still fill up then (about 3 MB of live
 * heap over the first few thousand requests), so the slope allowed is that of a leak of a few KB a request: 5 KB a
 * request at 30 a second is 9 MB a minute.
 */
export const SHORT_SOAK_CRITERIA: SoakCriteria = {
  warmUpFraction: 0.3,
  heapSlopeMbPerMinute: 8,
  rssGrowthMb: 48,
  descriptorSlack: 2,
};

async function main(): Promise<number> {
  const seconds = setting('SOAK_SECONDS', 600);
  const engineEveryMs = setting('SOAK_ENGINE_EVERY_MS', 2000);
  const defaults = seconds < 300 ? SHORT_SOAK_CRITERIA : SOAK_CRITERIA;
  const criteria: SoakCriteria = {
    ...defaults,
    heapSlopeMbPerMinute: setting('SOAK_HEAP_SLOPE_MB_PER_MIN', defaults.heapSlopeMbPerMinute),
    rssGrowthMb: setting('SOAK_RSS_GROWTH_MB', defaults.rssGrowthMb),
  };
  const report = await runSoak({
    seconds,
    rps: setting('SOAK_RPS', 40),
    concurrency: setting('SOAK_CONCURRENCY', 4),
    engine: engineEveryMs > 0,
    engineEveryMs,
    sampleEveryMs: setting(
      'SOAK_SAMPLE_MS',
      Math.min(10_000, Math.max(1000, (seconds * 1000) / 120)),
    ),
    criteria,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `\nSamples (t: seconds since the load started; the last one after it stopped):\n${samplesTable(report.samples)}\n`,
  );
  process.stdout.write(
    `\nOperations: ${[...report.done].map(([kind, count]) => `${kind} ${count}`).join(', ')}\n`,
  );
  if (report.firstErrors.length > 0)
    process.stdout.write(
      `First unexpected answers:\n${report.firstErrors.map((line) => `  ${line}`).join('\n')}\n`,
    );
  process.stdout.write(`\n${report.verdicts.join('\n')}\n`);
  process.stdout.write(
    report.failures.length === 0
      ? '\nSoak passed.\n'
      : `\nSoak FAILED: ${report.failures.length} criteria.\n`,
  );
  return report.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`soak failed to run: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
