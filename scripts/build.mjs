// Compiles src/ to dist/ (tsconfig.build.json), which bin/rialto.js and the published package run.
// dist/.built's mtime is when the compile began: bin/rialto.js runs dist/ only while no source is newer, so an
// edit made during or after a build is never served stale (it falls back to the sources through tsx).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const began = new Date();
rmSync(new URL('dist/', root), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
const stamp = new URL('dist/.built', root);
closeSync(openSync(stamp, 'w'));
utimesSync(stamp, began, began);
