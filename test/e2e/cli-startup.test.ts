import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RIALTO_BIN } from '../support/spawn-rialto.ts';

// `rialto --help` ran in 2.3–6.5 s because every command loaded the server's whole module graph (engines, sharp,
// tensorflow, …) first (#16.7). This records each module the CLI resolves, through a module-resolution hook, and
// checks that a command loads only what it uses. (The time itself is measured, not asserted: see README.)
const ROOT = pathToFileURL(join(import.meta.dirname, '../../')).href;

function modulesLoadedBy(
  args: string[],
  directory: string,
): { status: number | null; stderr: string; modules: string[] } {
  const log = join(directory, 'modules.log');
  writeFileSync(log, '');
  writeFileSync(
    join(directory, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(
    join(directory, 'register.mjs'),
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(directory, 'register.mjs')).href, RIALTO_BIN, ...args],
    { encoding: 'utf8', cwd: directory },
  );
  const modules = readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith(`${ROOT}src/`) || url.startsWith(`${ROOT}dist/`))
    .map((url) => url.slice(ROOT.length).replace(/\.(ts|js)$/, ''));
  return { status: result.status, stderr: result.stderr, modules: [...new Set(modules)] };
}

test('rialto --help loads its own entry point and nothing of the server', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-startup-'));
  try {
    const help = modulesLoadedBy(['--help'], directory);
    assert.equal(help.status, 0, help.stderr);
    assert.deepEqual(
      help.modules.map((module) => module.replace(/^(src|dist)\//, '')),
      ['main'],
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('rialto keys list opens the store without loading engines or the HTTP server', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-startup-'));
  try {
    writeFileSync(join(directory, 'rialto.yaml'), 'dataDirectory: ./data\n');
    const list = modulesLoadedBy(
      ['keys', 'list', '--config', join(directory, 'rialto.yaml')],
      directory,
    );
    assert.equal(list.status, 0, list.stderr);
    assert.ok(
      list.modules.some((module) => module.endsWith('storage/open-store')),
      list.modules.join('\n'),
    );
    const server = list.modules.filter((module) =>
      /\/(engines|routes|cli\/serve|app$)/.test(module),
    );
    assert.deepEqual(server, []);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('bin/rialto.js runs dist/ only while it is at least as new as every source, and the sources otherwise', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-bin-'));
  try {
    for (const folder of ['bin', 'src/cli', 'dist'])
      mkdirSync(join(directory, folder), { recursive: true });
    copyFileSync(RIALTO_BIN, join(directory, 'bin/rialto.js'));
    copyFileSync(join(RIALTO_BIN, '../build-state.js'), join(directory, 'bin/build-state.js'));
    symlinkSync(join(import.meta.dirname, '../../node_modules'), join(directory, 'node_modules'));
    writeFileSync(join(directory, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(directory, 'src/main.ts'),
      "const form: string = 'sources';\nprocess.stdout.write(form);\n",
    );
    writeFileSync(join(directory, 'dist/main.js'), "process.stdout.write('dist');\n");
    const run = (): string =>
      spawnSync(process.execPath, [join(directory, 'bin/rialto.js')], { encoding: 'utf8' }).stdout;
    const stamp = join(directory, 'dist/.built');
    const past = new Date(Date.now() - 60_000);
    for (const path of [
      join(directory, 'src'),
      join(directory, 'src/cli'),
      join(directory, 'src/main.ts'),
    ])
      utimesSync(path, past, past);

    assert.equal(run(), 'sources', 'never built');
    writeFileSync(stamp, '');
    assert.equal(run(), 'dist', 'built after the last change');
    writeFileSync(join(directory, 'src/cli/new-command.ts'), '');
    assert.equal(run(), 'sources', 'a source added since the build');
    writeFileSync(stamp, '');
    assert.equal(run(), 'dist', 'rebuilt');
    rmSync(join(directory, 'src'), { recursive: true });
    assert.equal(run(), 'dist', 'a package without sources');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
