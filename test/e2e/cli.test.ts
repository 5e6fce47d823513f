import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  existsSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { RIALTO_BIN, spawnRialto } from '../support/spawn-rialto.ts';
import { startModelFileServer } from '../support/model-file-server.ts';

function rialto(
  args: string[],
  config: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [RIALTO_BIN, ...args, '--config', config], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('rialto keys create prints a key once, serve discovers a pulled GGUF, and the key works against it', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-'));
  try {
    mkdirSync(join(directory, 'data', 'models'), { recursive: true });
    copyFileSync(await tinyModelPath(), join(directory, 'data', 'models', 'Tiny-Chat.gguf'));
    const config = join(directory, 'rialto.yaml');
    writeFileSync(config, 'server:\n  port: 0\ndataDirectory: ./data\nlogLevel: info\n');

    const created = rialto(
      ['keys', 'create', '--type', 'INFERENCE', '--description', 'cli test'],
      config,
    );
    assert.equal(created.status, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^rk-[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
    const listed = rialto(['keys', 'list'], config);
    assert.ok(listed.stdout.includes('INFERENCE') && listed.stdout.includes(key.slice(-6)));
    assert.ok(!listed.stdout.includes(key), 'keys list must never print a secret');

    const { child: server, url, output } = await spawnRialto(config);
    try {
      assert.ok(!output.includes(key), 'the server log must never contain a key');
      const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(
        models.data.map((model) => model.id),
        ['tiny-chat'],
      );
      const unauthenticated = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(unauthenticated.status, 401);
      const chat = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'tiny-chat',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 2,
          temperature: 0,
        }),
      });
      assert.equal(chat.status, 200);

      const revoked = rialto(['keys', 'revoke', key.slice(3, 19)], config);
      assert.equal(revoked.status, 0, revoked.stderr);
      // The server trusts a key record it read for at most a second: poll a bounded number of times.
      const attempt = async (): Promise<number> =>
        (
          await fetch(`${url}/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: '{}',
          })
        ).status;
      let status = await attempt();
      for (let tries = 0; tries < 60 && status !== 401; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await attempt();
      }
      assert.equal(status, 401);
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a bad config names each bad field and exits 2', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-'));
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(
      config,
      'server:\n  port: "eighty"\nmodels:\n  - id: x\n    engine: { kind: nope }\n',
    );
    const result = rialto(['serve'], config);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /server\.port/);
    assert.match(result.stderr, /models\.0\.engine/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('rialto pull downloads a GGUF into the models folder and checks its sha256', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-'));
  const data = readFileSync(await tinyModelPath());
  const server = await startModelFileServer(data);
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(config, 'dataDirectory: ./data\n');
    const wrong = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [
        RIALTO_BIN,
        'pull',
        `${server.url}/files/tiny.gguf`,
        '--sha256',
        '0'.repeat(64),
        '--config',
        config,
      ]).on('exit', resolve);
    });
    assert.notEqual(wrong, 0);
    assert.equal(existsSync(join(directory, 'data', 'models', 'tiny.gguf')), false);
    const pulled = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [
        RIALTO_BIN,
        'pull',
        `${server.url}/files/tiny.gguf`,
        '--sha256',
        server.sha256,
        '--config',
        config,
      ]);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(pulled.code, 0, pulled.stderr);
    const saved = readFileSync(join(directory, 'data', 'models', 'tiny.gguf'));
    assert.equal(
      createHash('sha256').update(saved).digest('hex'),
      createHash('sha256').update(data).digest('hex'),
    );
  } finally {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('rialto balance add credits an account and balance show reads it', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-'));
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(config, 'dataDirectory: ./data\n');
    const added = rialto(['balance', 'add', '12.5'], config);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /^default {2}USD 12\.5 \(reserved 0\) {2}DIEM 0 /);
    assert.equal(rialto(['balance', 'add', '3', '--currency', 'DIEM'], config).status, 0);
    assert.match(rialto(['balance', 'show'], config).stdout, /USD 12\.5 .*DIEM 3 /);
    assert.notEqual(rialto(['balance', 'add', 'lots'], config).status, 0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
