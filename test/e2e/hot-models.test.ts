import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startServe } from '../support/serve-process.ts';
import { startModelFileServer } from '../support/model-file-server.ts';
import { RIALTO_BIN } from '../support/spawn-rialto.ts';

// #16.3: a GGUF that arrives in (or leaves) data/models while Rialto runs is served (or withdrawn) without a restart;
// a file that is no GGUF is skipped with a warning naming it; `rialto pull` says a running server picks it up.

function withoutRialtoSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RIALTO_')),
  );
}

async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  // Bounded polling (the watcher debounces and waits for a file's size to settle), not a timing assertion.
  for (let tries = 0; tries < 600; tries++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

test('a GGUF copied into data/models while serving is served, a non-GGUF is skipped by name, a deleted one is withdrawn', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-hot-models-'));
  const models = join(directory, 'data', 'models');
  mkdirSync(models, { recursive: true });
  writeFileSync(join(directory, 'rialto.yaml'), 'server: { port: 0 }\nmodels: []\n');
  // A junk file there at start is skipped with its name, and the start goes on.
  writeFileSync(join(models, 'junk-at-start.gguf'), 'not a model at all');
  const fixed = `rk-${'00000000000000cc'}-${'d'.repeat(43)}`;
  const server = startServe([], {
    cwd: directory,
    env: { ...withoutRialtoSettings(), RIALTO_ADMIN_KEY: fixed },
  });
  try {
    const [, origin] = await server.waitFor(/Rialto listening on (http:\/\/[^\s"/]+)/);
    assert.match(server.stdout(), /Skipped [^"]*junk-at-start\.gguf: not a GGUF file/);
    const ids = async (): Promise<string[]> =>
      ((await (await fetch(`${origin}/v1/models`)).json()) as { data: { id: string }[] }).data.map(
        (model) => model.id,
      );
    assert.deepEqual(await ids(), []);

    // Written in two halves, a moment apart: the half-written file must not be loaded (its size is not yet stable).
    const bytes = readFileSync(await tinyModelPath());
    writeFileSync(join(models, 'Hot-Chat.gguf'), bytes.subarray(0, bytes.length >> 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(models, 'Hot-Chat.gguf'), bytes);
    assert.ok(await eventually(async () => (await ids()).includes('hot-chat')), server.stdout());
    const chat = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixed}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'default',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      }),
    });
    assert.equal(chat.status, 200, await chat.clone().text());
    assert.equal(((await chat.json()) as { model: string }).model, 'hot-chat');
    assert.doesNotMatch(
      server.stdout(),
      /Hot-Chat\.gguf: (?!not)/,
      'the half-written file was not loaded',
    );

    writeFileSync(join(models, 'junk-later.gguf'), Buffer.alloc(1024, 7));
    assert.ok(await server.waitFor(/Skipped [^"]*junk-later\.gguf: not a GGUF file/));

    unlinkSync(join(models, 'Hot-Chat.gguf'));
    assert.ok(await eventually(async () => !(await ids()).includes('hot-chat')), server.stdout());
    const gone = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixed}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'hot-chat',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      }),
    });
    assert.equal(gone.status, 404);
    assert.equal(server.child.exitCode, null, 'the server still runs');
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('rialto pull says that a running server serves the file without a restart, and under which id', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-hot-pull-'));
  const files = await startModelFileServer(readFileSync(await tinyModelPath()));
  try {
    writeFileSync(join(directory, 'rialto.yaml'), 'dataDirectory: ./data\n');
    const pulled = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [
        RIALTO_BIN,
        'pull',
        `${files.url}/files/tiny.gguf`,
        '--config',
        join(directory, 'rialto.yaml'),
      ]);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(
      pulled.stderr,
      /running 'rialto serve' serves it within seconds, without a restart \(as model tiny\)/,
    );
  } finally {
    await files.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
