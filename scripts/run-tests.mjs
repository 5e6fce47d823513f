// Runs every *.test.ts under src/ and test/ with Node's test runner (through tsx), the store being SQLite; then the
// end-to-end files whose servers take their store from RIALTO_TEST_STORE (those that start Rialto through
// test/support/start-rialto.ts) again on PostgreSQL. Exits non-zero when either pass fails.
// Usage: node scripts/run-tests.mjs [filter-substring ...]
// RIALTO_TEST_STORE=sqlite|postgres runs one pass only, every matching file on that store.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

// A hang guard, not a timing assertion: Node 20 applies --test-timeout to each file as a whole (its tests run in
// the file's process, which does not see the flag), so it must exceed the slowest file on a loaded machine (the
// longest tests allow themselves 300 s). A file whose tests are done but which left a server or a timer behind (a
// failed assertion before a cleanup) is ended by scripts/test-exit-guard.mjs, so it cannot keep the run waiting;
// not by Node's --test-force-exit, which on Node 20 cut the end off a file's report without a failure.
const FILE_TIMEOUT_MS = 10 * 60_000;
const EXIT_GUARD = new URL('./test-exit-guard.mjs', import.meta.url).href;
// Beside the TAP report: a check that every test a file registered was reported (scripts/test-completeness.mjs).
const COMPLETENESS = new URL('./test-completeness.mjs', import.meta.url).href;
const START_RIALTO = resolve('test/support/start-rialto.ts');

function collect(directory, found = []) {
  for (const name of readdirSync(directory)) {
    if (name === 'node_modules') continue;
    const path = join(directory, name);
    if (statSync(path).isDirectory()) collect(path, found);
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

/** Whether `file` imports start-rialto.ts, directly or through other local modules. */
function startsRialto(file, seen = new Set()) {
  const path = resolve(file);
  if (path === START_RIALTO) return true;
  if (seen.has(path) || !existsSync(path)) return false;
  seen.add(path);
  const source = readFileSync(path, 'utf8');
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1],
  );
  return specifiers.some((specifier) => startsRialto(join(dirname(path), specifier), seen));
}

// Three files at a time on CI's 2 cores: most of an end-to-end file's time is waiting (child processes, servers,
// ffmpeg, Chromium) or loading modules, so a third file fills the cores the first two leave idle (at two, a
// fresh-clone run took 1,793 s without its apt installs, against CI's 30-minute limit).
const CONCURRENCY = Number(process.env.RIALTO_TEST_CONCURRENCY ?? 3);

// The reporter writes each pass's failed and unreported tests here; they are printed again at the very end.
const summaryFolder = mkdtempSync(join(tmpdir(), 'rialto-test-summary-'));
const passes = [];

function runPass(label, files, environment) {
  if (files.length === 0) return 0;
  process.stdout.write(`\n# ${label}: ${files.length} files\n`);
  const summaryFile = join(summaryFolder, `${passes.length}.json`);
  const args = [
    '--import',
    'tsx',
    '--import',
    EXIT_GUARD,
    '--test',
    `--test-concurrency=${CONCURRENCY}`,
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    '--test-reporter=tap',
    '--test-reporter-destination=stdout',
    `--test-reporter=${COMPLETENESS}`,
    '--test-reporter-destination=stderr',
    ...files,
  ];
  const result = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    env: { ...environment, RIALTO_TEST_SUMMARY_FILE: summaryFile },
  });
  const status = result.status ?? 1;
  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    summary = undefined;
  }
  passes.push({ label, files: files.length, status, summary });
  return status;
}

/** A test file's path as the summary shows it: relative to where the run started. */
const shown = (file) => relative(process.cwd(), file) || file;

/** Prints, after everything, what failed in each pass: the end of the output is what CI keeps. */
function printSummary() {
  const lines = ['', '# summary of the run'];
  for (const { label, files, status, summary } of passes) {
    lines.push(`# ${label} (${files} files): exit code ${status}`);
    if (summary === undefined) {
      lines.push('#   no summary came back from the runner (it ended before its reporters did)');
      continue;
    }
    for (const { file, test, failureType, message } of summary.failed) {
      lines.push(`#   not ok: ${shown(file)}: ${test} [${failureType}]`);
      for (const line of message.split('\n')) lines.push(`#     ${line}`);
    }
    for (const message of summary.diagnostics) lines.push(`#   ${message}`);
    for (const { file, test, nesting } of summary.missing) {
      lines.push(`#   not reported: ${shown(file)}: ${test} (nesting ${nesting})`);
    }
    if (
      status !== 0 &&
      summary.failed.length === 0 &&
      summary.missing.length === 0 &&
      summary.diagnostics.length === 0
    ) {
      lines.push('#   no test failed: the runner itself exited non-zero');
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(summaryFolder, { recursive: true, force: true });
}

const filters = process.argv.slice(2);
const files = ['src', 'test']
  .filter((root) => existsSync(root))
  .flatMap((root) => collect(root))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

const chosen = process.env.RIALTO_TEST_STORE;
if (chosen !== undefined && chosen !== '') {
  const status = runPass(`every file, RIALTO_TEST_STORE=${chosen}`, files, process.env);
  printSummary();
  process.exit(status);
}
const first = runPass('every file, on SQLite', files, {
  ...process.env,
  RIALTO_TEST_STORE: 'sqlite',
});
// Each server of this pass gets its own PostgreSQL schema (test/support/start-rialto.ts), so the two passes could
// also run side by side; they run one after the other because the machines this runs on have two cores.
// A file whose subject is an engine or a format and not the store (media engines, parsers, the console) says so with
// the line `// rialto-test: sqlite-only` and runs once: the PostgreSQL pass would repeat it without testing the store.
const SQLITE_ONLY = '// rialto-test: sqlite-only';
const endToEnd = files.filter(
  (file) =>
    file.startsWith(join('test', 'e2e')) &&
    startsRialto(file) &&
    !readFileSync(file, 'utf8').includes(SQLITE_ONLY),
);
const second = runPass(
  'end-to-end files again, on PostgreSQL (RIALTO_TEST_STORE=postgres)',
  endToEnd,
  { ...process.env, RIALTO_TEST_STORE: 'postgres' },
);
printSummary();
process.exit(first !== 0 ? first : second);
