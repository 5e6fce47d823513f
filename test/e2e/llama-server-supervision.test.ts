// A llama-server model through the openai client while its child dies, with a real child replaying the llama.cpp
// server recordings in llama-server's place (test/support/upstream/replay-llama-server.ts), so it runs where
// llama-server is not built: served, then 503 MODEL_OFFLINE while no child can start, then served again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlamaServerEngine } from '../../src/engines/llama-server/llama-server-engine.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

const REPLAY = fileURLToPath(
  new URL('../support/upstream/replay-llama-server.ts', import.meta.url),
);

describe('llama-server engine: its child dies under the server', () => {
  let folder: string;
  let refuseFile: string;
  let rialto: TestRialto;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-llama-server-e2e-'));
    refuseFile = join(folder, 'refuse');
    const binary = join(folder, 'llama-server');
    await writeFile(
      binary,
      `#!/bin/sh\nREPLAY_REFUSE_FILE=${refuseFile} exec "${process.execPath}" --import tsx "${REPLAY}" "$@"\n`,
    );
    await chmod(binary, 0o755);
    rialto = await startRialto({
      models: [
        {
          id: 'tiny',
          engine: { kind: 'llama-server', path: join(folder, 'tiny.gguf'), binary, threads: 1 },
          traits: ['default'],
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const engine = (): LlamaServerEngine => rialto.registry.entries[0]!.engine as LlamaServerEngine;
  const ask = () =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: '#plain Say hello' }],
      }),
    });
  const until = async (condition: () => boolean): Promise<void> => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  test('served, 503 MODEL_OFFLINE while its child cannot start, served again once it can', async () => {
    const first = await ask();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-venice-model-router'), 'llama-server');
    validateResponse({
      method: 'POST',
      path: '/chat/completions',
      status: 200,
      body: await first.json(),
    });
    assert.equal(
      rialto.registry.entries[0]!.config.contextLength,
      4096,
      'the context the child reported',
    );

    await writeFile(refuseFile, '');
    const pid = engine().pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await until(() => engine().pid === undefined);
    const offline = await ask();
    assert.equal(offline.status, 503);
    const body: unknown = await offline.json();
    validateResponse({ method: 'POST', path: '/chat/completions', status: 503, body });
    assert.deepEqual(body, { error: 'The model is temporarily offline. Please try again later.' });

    await unlink(refuseFile);
    await until(() => engine().pid !== undefined);
    assert.equal((await ask()).status, 200);
  });
});
