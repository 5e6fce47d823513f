// Whether the compiled dist/ is current: scripts/build.mjs stamps dist/.built with the time the compile began, and
// the build is current while no source under src/ is newer (bin/rialto.js then runs it instead of the sources).
import { existsSync, readdirSync, statSync } from 'node:fs';

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

/** Whether the package at `root` (a file: URL ending in /) has a build no source has changed since. */
export function buildIsCurrent(root) {
  const sources = new URL('src/', root);
  const stamp = new URL('dist/.built', root);
  return (
    existsSync(stamp) && (!existsSync(sources) || !changedSince(sources, statSync(stamp).mtimeMs))
  );
}
