// The test runner's own guarantees (scripts/run-tests.mjs): a file that exits before reporting all the tests it
// registered fails the run (scripts/test-completeness.mjs), and a file that leaves a server open after its tests is
// ended with its whole report and its own exit code (scripts/test-exit-guard.mjs); the run's end lists what failed
// and what went unreported in each pass. Each case runs the real runner on fixture files in a folder of its own (its
// node_modules linked to this checkout's, for tsx).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const RUNNER = join(ROOT, 'scripts', 'run-tests.mjs');

const FIXTURES: Record<string, string> = {
  'complete.test.ts': `import { describe, it } from 'node:test';
describe('complete', () => { it('one', () => {}); it('two', async () => { await new Promise((r) => setTimeout(r, 20)); }); });
`,
  'early-exit.test.ts': `import { describe, it } from 'node:test';
describe('cut short', () => {
  it('first', () => {});
  it('second', () => { setImmediate(() => process.exit(0)); });
  it('never reported', async () => { await new Promise((r) => setTimeout(r, 200)); });
});
`,
  'leftover-server.test.ts': `import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
describe('leaves a server', () => {
  it('opens a server it never closes', () => { createServer().listen(0, '127.0.0.1'); });
  it('and passes', () => { assert.equal(1, 1); });
});
`,
  'one-failure.test.ts': `import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
describe('outer', () => { describe('inner', () => {
  it('passes', () => {});
  it('compares', () => { assert.equal(1, 2, 'one is not two'); });
}); });
`,
  'late-error.test.ts': `import { it } from 'node:test';
it('leaves a timer that throws', () => { setTimeout(() => { throw new Error('thrown after its test'); }, 50); });
it('ends later', async () => { await new Promise((r) => setTimeout(r, 10)); });
`,
  'broken-import.test.ts': `import { value } from './no-such-module.js';
console.log(value);
`,
  'leftover-failing.test.ts': `import assert from 'node:assert/strict';
import { it } from 'node:test';
it('fails before its cleanup', () => { setInterval(() => {}, 1_000); assert.equal(1, 2); });
`,
};

mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
const folder = mkdtempSync(join(ROOT, 'test-artifacts', 'runner-'));
mkdirSync(join(folder, 'test'));
symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'));
for (const [name, source] of Object.entries(FIXTURES))
  writeFileSync(join(folder, 'test', name), source);
after(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the runner on the fixture files whose path contains `filter`, on one store (no PostgreSQL pass). */
function run(filter: string): { status: number | null; output: string } {
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    RIALTO_TEST_STORE: 'sqlite',
    RIALTO_TEST_EXIT_GRACE_MS: '500',
  };
  // This file runs under the runner itself: a nested run must not take itself for one of its files.
  delete environment.NODE_TEST_CONTEXT;
  const result = spawnSync(process.execPath, [RUNNER, filter], {
    cwd: folder,
    env: environment,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The summary that ends a failed run of the fixtures whose path contains `filter` (asserting that it failed). */
function failedRunSummary(filter: string): string {
  const { status, output } = run(filter);
  assert.equal(status, 1, output);
  return output.slice(output.indexOf('# summary of the run'));
}

describe('the test runner', () => {
  it('passes a file that reports every test it registered, and says nothing more', () => {
    const { status, output } = run('complete');
    assert.equal(status, 0, output);
    assert.match(output, /^# tests 2$/m);
    assert.doesNotMatch(output, /not reported/);
    assert.match(
      output,
      /^# summary of the run\n# every file, RIALTO_TEST_STORE=sqlite \(1 files\): exit code 0\n*$/m,
    );
  });

  it("lists at the run's end each failed test, where it sits and its error's first lines", () => {
    const summary = failedRunSummary('one-failure');
    assert.match(
      summary,
      /exit code 1\n# {3}not ok: test\/one-failure\.test\.ts: outer > inner > compares \[testCodeFailure\]\n# {5}one is not two\n# {5}1 !== 2\n/,
    );
    // The suites that failed only because of that test add no lines of their own.
    assert.equal(summary.match(/not ok:/g)?.length, 1, summary);
  });

  it('names the reason of a file that fails outside its tests (from its stderr)', () => {
    const summary = failedRunSummary('broken-import');
    assert.match(
      summary,
      /not ok: test\/broken-import\.test\.ts: \(the file itself\) \[testCodeFailure\]\n# {5}the file's process failed \(exit code \d+\)\n# {5}Error \[ERR_MODULE_NOT_FOUND\]: Cannot find module '[^']*no-such-module\.js'/,
    );
  });

  it('names the test whose asynchronous activity threw after it ended (the file fails, no test does)', () => {
    const summary = failedRunSummary('late-error');
    assert.match(summary, /not ok: test\/late-error\.test\.ts: \(the file itself\)/);
    assert.match(
      summary,
      /# {3}Error: Test "leaves a timer that throws" at test\/late-error\.test\.ts:\d+:\d+ generated asynchronous activity after the test ended\. This activity created the error "Error: thrown after its test"/,
    );
  });

  it('fails a run when a file exits before reporting every test it registered', () => {
    const { status, output } = run('early-exit');
    assert.equal(status, 1, output);
    // Node's own summary counts only what it read, and no failure.
    assert.match(output, /^# fail 0$/m);
    // Two at least; the pass of the test that exits may or may not have left the process before it.
    assert.match(output, /not reported: \d+ registered test/);
    assert.match(output, /early-exit\.test\.ts: "never reported" \(nesting 1\)/);
    assert.match(output, /early-exit\.test\.ts: "cut short" \(nesting 0\)/);
    const summary = output.slice(output.indexOf('# summary of the run'));
    assert.match(
      summary,
      /# {3}not reported: test\/early-exit\.test\.ts: never reported \(nesting 1\)/,
    );
  });

  it('ends a file that left a server open, with its whole report and its exit code', () => {
    const { status, output } = run('leftover-server');
    assert.equal(status, 0, output);
    assert.match(output, /test-exit-guard: .*leftover-server\.test\.ts left handles open/);
    assert.match(output, /^# tests 2$/m);
    assert.match(output, /^# pass 2$/m);
    assert.match(output, /^ok 1 - leaves a server$/m);
    assert.doesNotMatch(output, /not reported/);
  });

  it('keeps the failure of a file it ends', () => {
    const { status, output } = run('leftover-failing');
    assert.equal(status, 1, output);
    assert.match(output, /test-exit-guard: .*leftover-failing\.test\.ts left handles open/);
    assert.match(output, /^# fail 1$/m);
    assert.match(output, /^not ok 1 - fails before its cleanup$/m);
    assert.match(
      output,
      /# {3}not ok: test\/leftover-failing\.test\.ts: fails before its cleanup \[testCodeFailure\]/,
    );
  });
});
