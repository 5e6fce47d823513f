// A reporter (node --test-reporter) that fails the run when a test file's process ended before reporting every test
// it had registered: each test is enqueued in the runner (test:enqueue) as its file registers it, and must end in a
// test:pass or test:fail. Node 20's runner counts only the results it read, so a file that exits early with code 0
// (a stray process.exit(0), a report cut short) passed with tests missing and no failure.
// Loaded by scripts/run-tests.mjs beside the TAP reporter; it writes only when something is missing. When
// RIALTO_TEST_SUMMARY_FILE names a file, it also writes there, as JSON, the tests that failed (with where they sit and
// their error's first lines), what the runner said of errors after a test ended, and the tests not reported, for
// run-tests.mjs to print at the end of the whole run: CI keeps only the end of the output, and a failure of the
// SQLite pass is otherwise thousands of lines above it.
import { writeFileSync } from 'node:fs';

/** The key of a test within its file: nesting and name (the same name may repeat; they are counted). */
const keyOf = (data) => `${data.file ?? ''}\u0000${data.nesting}\u0000${data.name}`;

const MESSAGE_LINES = 6;
const MESSAGE_CHARS = 600;
// A file's process failing outside its tests (an import that throws, a crash, a non-zero exit) is reported as the
// file's own entry, its error only "test failed": the reason is in what the process wrote to stderr, of which the
// last STDERR_KEPT lines per file are kept.
const STDERR_KEPT = 200;
// What Node's runner says, as a diagnostic and not a failed test, of an error thrown or a promise rejected after its
// test ended (it then fails the file with exit code 1): "Error: Test \"…\" at file:line generated asynchronous
// activity after the test ended…", or a warning of the same kind.
const LATE_OR_WARNING = /^(Error|Warning): /;
const ERROR_LINE = /Error\b|ERR_|Exception|Assertion|Uncaught|panic/;

/** What a file's stderr says of why its process failed: its lines that name an error, else its last lines. */
function stderrReason(lines) {
  const own = lines.filter((line) => line.trim() !== '' && !/^\s+at /.test(line));
  const errors = own.filter((line) => ERROR_LINE.test(line));
  return (errors.length > 0 ? errors.slice(0, MESSAGE_LINES) : own.slice(-MESSAGE_LINES)).join(
    '\n',
  );
}

/** The first lines of a failure's error: the test's own error (the runner wraps it as `cause`), else the runner's. */
function messageOf(error) {
  const original = error?.cause ?? error;
  const text = String(original?.message ?? original ?? '').trim();
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const kept = lines.slice(0, MESSAGE_LINES).join('\n');
  return kept.length > MESSAGE_CHARS ? `${kept.slice(0, MESSAGE_CHARS)}…` : kept;
}

/** How a file's process ended, from the runner's error for it. */
function exitOf(error) {
  if (error.signal != null) return `signal ${error.signal}`;
  return error.exitCode != null ? `exit code ${error.exitCode}` : 'no exit code';
}

export default async function* completeness(source) {
  const waiting = new Map();
  // Per file, the names of the tests open at each nesting level (test:start comes in order within a file).
  const paths = new Map();
  const stderr = new Map();
  const failed = [];
  const diagnostics = [];
  for await (const event of source) {
    const { type, data } = event;
    if (data === undefined) continue;
    if (type === 'test:diagnostic' && LATE_OR_WARNING.test(String(data.message))) {
      diagnostics.push(String(data.message));
    } else if (type === 'test:stderr' && data.file !== undefined) {
      let lines = stderr.get(data.file);
      if (lines === undefined) stderr.set(data.file, (lines = []));
      lines.push(...String(data.message).split('\n'));
      if (lines.length > STDERR_KEPT) lines.splice(0, lines.length - STDERR_KEPT);
    } else if (type === 'test:fail') {
      const error = data.details?.error;
      // A suite failing because a test in it failed adds nothing to that test's own line.
      if (error?.failureType !== 'subtestsFailed') {
        const wholeFile = data.name === data.file;
        const path = wholeFile ? [] : (paths.get(data.file) ?? []).slice(0, data.nesting);
        const message =
          wholeFile && error?.failureType === 'testCodeFailure'
            ? [
                `the file's process failed (${exitOf(error)})`,
                stderrReason(stderr.get(data.file) ?? []),
              ]
                .filter((part) => part !== '')
                .join('\n')
            : messageOf(error);
        failed.push({
          file: data.file ?? '',
          test: wholeFile ? '(the file itself)' : [...path, data.name].join(' > '),
          failureType: error?.failureType ?? '',
          message,
        });
      }
    }
    // The runner's own entry for a file (its name is the file's path) is reported only when the file fails alone.
    if (data.name === data.file) continue;
    if (type === 'test:start') {
      const path = paths.get(data.file) ?? [];
      path.length = data.nesting;
      path[data.nesting] = data.name;
      paths.set(data.file, path);
    } else if (type === 'test:enqueue') {
      const key = keyOf(data);
      waiting.set(key, (waiting.get(key) ?? 0) + 1);
    } else if (type === 'test:pass' || type === 'test:fail') {
      const key = keyOf(data);
      const left = (waiting.get(key) ?? 0) - 1;
      if (left > 0) waiting.set(key, left);
      else waiting.delete(key);
    }
  }
  const missing = [...waiting].map(([key, count]) => {
    const [file, nesting, name] = key.split('\u0000');
    return { file, test: name, nesting: Number(nesting), count };
  });
  const summaryFile = process.env.RIALTO_TEST_SUMMARY_FILE;
  if (summaryFile !== undefined && summaryFile !== '') {
    writeFileSync(summaryFile, JSON.stringify({ failed, missing, diagnostics }));
  }
  if (missing.length === 0) return;
  process.exitCode = 1;
  const lines = missing.map(
    ({ file, test, nesting, count }) =>
      `#   ${file}: "${test}" (nesting ${nesting})${count > 1 ? ` ×${count}` : ''}`,
  );
  yield `# not reported: ${missing.length} registered test(s) ended with no result (the file's process exited before reporting them)\n${lines.join('\n')}\n`;
}
