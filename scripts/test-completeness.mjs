// A reporter (node --test-reporter) that fails the run when a test file's process ended before reporting every test
// it had registered: each test is enqueued in the runner (test:enqueue) as its file registers it, and must end in a
// test:pass or test:fail. Node 20's runner counts only the results it read, so a file that exits early with code 0
// (a stray process.exit(0), a report cut short) passed with tests missing and no failure.
// Loaded by scripts/run-tests.mjs beside the TAP reporter; it writes only when something is missing.

/** The key of a test within its file: nesting and name (the same name may repeat; they are counted). */
const keyOf = (data) => `${data.file ?? ''}\u0000${data.nesting}\u0000${data.name}`;

export default async function* completeness(source) {
  const waiting = new Map();
  for await (const event of source) {
    const { type, data } = event;
    // The runner's own entry for a file (its name is the file's path) is reported only when the file fails alone.
    if (data === undefined || data.name === data.file) continue;
    if (type === 'test:enqueue') {
      const key = keyOf(data);
      waiting.set(key, (waiting.get(key) ?? 0) + 1);
    } else if (type === 'test:pass' || type === 'test:fail') {
      const key = keyOf(data);
      const left = (waiting.get(key) ?? 0) - 1;
      if (left > 0) waiting.set(key, left);
      else waiting.delete(key);
    }
  }
  if (waiting.size === 0) return;
  process.exitCode = 1;
  const missing = [...waiting].map(([key, count]) => {
    const [file, nesting, name] = key.split('\u0000');
    return `#   ${file}: "${name}" (nesting ${nesting})${count > 1 ? ` ×${count}` : ''}`;
  });
  yield `# not reported: ${missing.length} registered test(s) ended with no result (the file's process exited before reporting them)\n${missing.join('\n')}\n`;
}
