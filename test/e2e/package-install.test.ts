import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { buildIsCurrent } from '../../bin/build-state.js';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';

// #16.9: `npm pack` ships what runs (compiled code, the built console, migrations, README, rialto.yaml), no tests or
// sources, and the tarball installed into an empty folder serves a chat. Packing and installing take minutes: each
// step has a generous limit so a stuck npm fails the test instead of hanging it.
const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const NPM_LIMIT_MS = 15 * 60_000;

/** The environment without what an outer `npm test` exports to its children (npm_config_*, npm_lifecycle_*, …). */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
}

/**
 * Packs a copy of the checkout (so the build that `prepare` runs cannot disturb console/dist or dist/ under tests
 * running beside this one) and returns the tarball's path. Where the checkout's dist/ is current (bin/build-state.js:
 * `npm install` ran `prepare` and no source changed since, as on CI), the copy takes that build and builds only the
 * console, and npm packs it without running `prepare` again (the compile is 20 s of a 2-core machine's CPU).
 */
async function pack(directory: string): Promise<string> {
  const stage = join(directory, 'stage');
  const copied = [
    'package.json',
    '.npmrc',
    'README.md',
    'rialto.yaml',
    'tsconfig.json',
    'tsconfig.build.json',
    'bin',
    'src',
    'console',
    'scripts/build.mjs',
  ];
  for (const path of copied.filter((name) => existsSync(join(ROOT, name)))) {
    cpSync(join(ROOT, path), join(stage, path), {
      recursive: true,
      filter: (source) => !/[/\\](dist|node_modules)$/.test(source),
    });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  const current = buildIsCurrent(pathToFileURL(`${ROOT}/`));
  if (current) {
    cpSync(join(ROOT, 'dist'), join(stage, 'dist'), { recursive: true, preserveTimestamps: true });
    await run('npm', ['run', 'build:console'], {
      cwd: stage,
      env: cleanEnvironment(),
      timeout: NPM_LIMIT_MS,
    });
  }
  const packArgs = [
    'pack',
    '--pack-destination',
    directory,
    ...(current ? ['--ignore-scripts'] : []),
  ];
  const packed = await run('npm', packArgs, {
    cwd: stage,
    env: cleanEnvironment(),
    timeout: NPM_LIMIT_MS,
    maxBuffer: 64 << 20,
  });
  const name = packed.stdout.trim().split('\n').at(-1) ?? '';
  assert.match(name, /^rialto-.*\.tgz$/, packed.stdout);
  return join(directory, name);
}

/**
 * Installs the tarball into an empty folder with npm, offline. Without a registry, npm cannot resolve the
 * tarball's dependency ranges, so the folder's lockfile pins them to Rialto's own package-lock.json (what its
 * tests ran against; npm's cache holds those tarballs after `npm install`). better-sqlite3's install script would
 * download a prebuilt addon (or compile one for minutes); it is denied and the addon this checkout built is copied
 * in, which is what that download would bring. onnxruntime-node's script (a CUDA download) is denied as Rialto's
 * own package.json denies it.
 */
async function install(directory: string, tarball: string): Promise<string> {
  const app = join(directory, 'app');
  mkdirSync(app);
  copyFileSync(tarball, join(app, 'rialto.tgz'));
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { rialto: 'file:rialto.tgz' } },
    'node_modules/rialto': {
      version: manifest.version,
      resolved: 'file:rialto.tgz',
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path !== '' && entry.dev !== true) packages[path] = entry;
  writeFileSync(
    join(app, 'package-lock.json'),
    JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }),
  );
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'app',
      private: true,
      dependencies: { rialto: 'file:rialto.tgz' },
      allowScripts: { 'better-sqlite3': false, 'onnxruntime-node': false, 'node-llama-cpp': true },
    }),
  );
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: cleanEnvironment(),
    timeout: NPM_LIMIT_MS,
    maxBuffer: 64 << 20,
  });
  const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  mkdirSync(join(app, addon, '..'), { recursive: true });
  copyFileSync(join(ROOT, addon), join(app, addon));
  return app;
}

/** Starts the installed `rialto serve` and resolves with its API base URL once it listens. */
function serve(app: string, child: { process?: ReturnType<typeof spawn> }): Promise<string> {
  const server = spawn(
    join(app, 'node_modules/.bin/rialto'),
    ['serve', '--config', 'rialto.yaml'],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.process = server;
  let output = '';
  server.stdout.setEncoding('utf8');
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (chunk: string) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk: string) => {
      output += chunk;
      const url = /Rialto listening on (http:\/\/[^\s"]+)/.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    });
    server.stdout.on('end', () => reject(new Error(`rialto serve did not start: ${output}`)));
  });
}

test('the packed tarball ships only what runs, installs into an empty folder and serves a chat', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-package-'));
  const child: { process?: ReturnType<typeof spawn> } = {};
  try {
    const tarball = await pack(directory);
    const listing = (await run('tar', ['-tzf', tarball], { maxBuffer: 16 << 20 })).stdout
      .split('\n')
      .filter(Boolean);
    for (const shipped of [
      'package/bin/rialto.js',
      'package/dist/main.js',
      'package/dist/.built',
      'package/dist/storage/migrations/001-api-keys.js',
      'package/dist/engines/llama-cpp/llama-cpp-worker.js',
      'package/console/dist/index.html',
      'package/README.md',
      'package/rialto.yaml',
    ]) {
      assert.ok(listing.includes(shipped), `${shipped} is not in the tarball`);
    }
    assert.deepEqual(
      listing.filter((path) =>
        /\.test\.|^package\/(src|test|bench|spec|scripts)\/|\.ts$/.test(path),
      ),
      [],
    );

    const app = await install(directory, tarball);
    const installed = join(app, 'node_modules');
    assert.ok(
      !existsSync(join(installed, 'tsx')) && !existsSync(join(installed, 'typescript')),
      'tsx and typescript are devDependencies',
    );

    const help = await run(join(installed, '.bin/rialto'), ['--help'], { cwd: app });
    assert.match(help.stdout, /^Usage: rialto <command>/);

    mkdirSync(join(app, 'data/models'), { recursive: true });
    copyFileSync(await tinyModelPath(), join(app, 'data/models/Tiny-Chat.gguf'));
    writeFileSync(join(app, 'rialto.yaml'), 'server:\n  port: 0\ndataDirectory: ./data\n');
    const created = await run(
      join(installed, '.bin/rialto'),
      ['keys', 'create', '--config', 'rialto.yaml'],
      { cwd: app },
    );
    const apiKey = created.stdout.trim();
    assert.match(apiKey, /^rk-/);

    const url = await serve(app, child);
    const client = new OpenAI({ baseURL: url, apiKey, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      temperature: 0,
    });
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    assert.equal(completion.usage?.completion_tokens, 3);
    const page = await fetch(new URL('/console/', url));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script/);
  } finally {
    if (child.process !== undefined && child.process.exitCode === null) {
      // A graceful stop closes the llama.cpp worker too; past 10 s it is killed.
      const exited = new Promise((resolve) => child.process?.once('exit', resolve));
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(directory, { recursive: true, force: true });
  }
});

test("npm reads the project config without warnings, and skips onnxruntime-node's CUDA download", async () => {
  // .npmrc's `onnxruntime-node-install=skip` was unknown to npm ("This will stop working in the next major
  // version"); package.json's allowScripts denies that install script instead, which would fail offline.
  const config = await run('npm', ['config', 'get', 'omit'], {
    cwd: ROOT,
    env: cleanEnvironment(),
  });
  assert.doesNotMatch(config.stderr, /Unknown (project|user|global|env) config/);
  const rebuilt = await run(
    'npm',
    ['rebuild', 'onnxruntime-node', '--foreground-scripts', '--offline'],
    { cwd: ROOT, env: cleanEnvironment(), timeout: NPM_LIMIT_MS },
  );
  assert.doesNotMatch(
    rebuilt.stdout + rebuilt.stderr,
    /Unknown (project|user|global|env) config|script\/install/,
  );
});
