// Issue #10 item 6, the CI variant of `npm run soak` (bench/soak.ts): the same harness and checks for 45 s of load,
// with the memory thresholds of a run that short (SHORT_SOAK_CRITERIA: a leak of a few KB a request still fails
// them). No timing is judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from '../../bench/soak-harness.ts';
import { SHORT_SOAK_CRITERIA } from '../../bench/soak.ts';
import { samplesTable } from '../../bench/soak-samples.ts';

test('soak, short: memory flat, descriptors, sockets and engine sequences back to idle, the books exact', {
  timeout: 300_000,
}, async (t) => {
  const report = await runSoak({
    seconds: 45,
    rps: 30,
    concurrency: 4,
    sampleEveryMs: 1000,
    engine: true,
    engineEveryMs: 2000,
    criteria: SHORT_SOAK_CRITERIA,
    log: (line) => t.diagnostic(line),
  });
  for (const line of samplesTable(report.samples).split('\n')) t.diagnostic(line);
  for (const line of report.verdicts) t.diagnostic(line);
  assert.deepEqual(report.firstErrors, []);
  assert.deepEqual(report.failures, []);
});
