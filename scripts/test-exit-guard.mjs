// Loaded (--import) into every test file's process by scripts/run-tests.mjs, in place of Node's --test-force-exit.
// On Node 20 --test-force-exit calls process.exit() once the file's report stream closes, before the serialized
// report has passed on to stdout: the parent then read a cut report (the last tests and the suite's end missing)
// with exit code 0, so tests went unreported without a failure (test/fuzz/swagger-arbitraries.test.ts: 7 of 40 runs
// of the file reported 44 to 50 of its 51 tests; without the flag, 0 of 40).
// Here a file whose tests are done ends on its own as Node's runner would have it (the report written in full at
// beforeExit). Only a file that left a server, a socket or a timer behind is ended, GRACE_MS after its tests (and
// after its own root-level after() hooks have had that long: this one runs first): its report is ended the way Node
// ends it at beforeExit, written out, and the process exits with the code its tests set.
// RIALTO_TEST_EXIT_GRACE_MS sets another grace (test/test-runner.test.ts).
import { after } from 'node:test';

const GRACE_MS = Number(process.env.RIALTO_TEST_EXIT_GRACE_MS ?? 10_000);
const FLUSH_MS = 500;

if (process.env.NODE_TEST_CONTEXT !== undefined) {
  // A root-level after() runs once every test of the file has finished (Node 20 starts the root test then).
  after(() => {
    const timer = setTimeout(() => {
      process.stderr.write(
        `test-exit-guard: ${process.argv[1]} left handles open ${GRACE_MS} ms after its tests; ending it\n`,
      );
      // Node's runner ends the report at beforeExit (root.postRun), which never comes while handles stay open.
      process.emit('beforeExit', process.exitCode ?? 0);
      setTimeout(() => process.stdout.write('', () => process.exit()), FLUSH_MS).unref();
    }, GRACE_MS);
    timer.unref();
  });
}
