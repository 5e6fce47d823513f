import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loaderArguments, siblingModule, threadBootstrap } from './sibling-module.ts';

async function threadAnswer(entry: URL): Promise<unknown> {
  const worker = new Worker(threadBootstrap(entry), { eval: true });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

test("a sibling keeps its caller's extension: .ts from the sources, .js from dist/", () => {
  assert.equal(
    siblingModule('file:///app/src/engines/x/pool.ts', './x-worker').href,
    'file:///app/src/engines/x/x-worker.ts',
  );
  assert.equal(
    siblingModule('file:///app/dist/engines/x/pool.js', './x-worker').href,
    'file:///app/dist/engines/x/x-worker.js',
  );
  assert.equal(siblingModule('file:///app/dist/a/b.js', '../c/d').href, 'file:///app/dist/c/d.js');
});

test('compiled code starts children and threads without tsx; sources register it', () => {
  assert.deepEqual(loaderArguments('file:///app/dist/engines/llama-cpp/llama-cpp-process.js'), []);
  const [flag, loader] = loaderArguments('file:///app/src/engines/llama-cpp/llama-cpp-process.ts');
  assert.equal(flag, '--import');
  assert.match(loader ?? '', /\/node_modules\/tsx\//);
  assert.doesNotMatch(threadBootstrap(new URL('file:///app/dist/x.js')), /tsx/);
  assert.match(threadBootstrap(new URL('file:///app/src/x.ts')), /tsx/);
});

test('a thread bootstrapped from either form runs its entry point', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-sibling-'));
  try {
    writeFileSync(join(directory, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(directory, 'entry.js'),
      "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('compiled');\n",
    );
    writeFileSync(
      join(directory, 'entry.ts'),
      "import { parentPort } from 'node:worker_threads';\nconst form: string = 'typescript';\nparentPort?.postMessage(form);\n",
    );
    const base = pathToFileURL(join(directory, 'caller.js')).href;
    assert.equal(await threadAnswer(siblingModule(base, './entry')), 'compiled');
    assert.equal(
      await threadAnswer(siblingModule(base.replace(/\.js$/, '.ts'), './entry')),
      'typescript',
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
