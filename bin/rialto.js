#!/usr/bin/env node
// Runs the compiled dist/ (`npm run build`; the published package ships only that, without src/ or tsx). In a
// checkout that has no build, or whose sources changed since it (scripts/build.mjs stamps dist/.built with the
// time it began), the sources run through tsx instead, so development and the tests never run stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';

const sources = new URL('../src/', import.meta.url);
const stamp = new URL('../dist/.built', import.meta.url);

/**
 * Whether any file or folder under `directory` (a deleted file changes its folder's mtime) is newer than `time`;
 * tests (*.test.ts) are not compiled, so they do not count. Some 400 stats: a few milliseconds.
 */
function changedSince(directory, time) {
  if (statSync(directory).mtimeMs > time) return true;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.name.endsWith('.test.ts')) continue;
    if (statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs > time) return true;
  }
  return false;
}

const built =
  existsSync(stamp) && (!existsSync(sources) || !changedSince(sources, statSync(stamp).mtimeMs));
if (built) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
