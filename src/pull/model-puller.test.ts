import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  startModelFileServer,
  type ModelFileServer,
} from '../../test/support/model-file-server.ts';
import { pullModel, type PullProgress } from './model-puller.ts';

const SIZE = 3 * 1024 * 1024 + 123;
let server: ModelFileServer;
let cdn: ModelFileServer;
let directory: string;
let source: string;
const savedEnvironment = {
  RIALTO_HF_ENDPOINT: process.env['RIALTO_HF_ENDPOINT'],
  HF_TOKEN: process.env['HF_TOKEN'],
};

before(async () => {
  const data = randomBytes(SIZE);
  [server, cdn] = await Promise.all([startModelFileServer(data), startModelFileServer(data)]);
  source = `${server.url}/files/model.gguf`;
});
after(async () => void (await Promise.all([server.close(), cdn.close()])));
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'rialto-pull-'));
  for (const fake of [server, cdn]) {
    fake.requests.length = 0;
    Object.assign(fake.settings, {
      cutAfterBytes: null,
      ignoreRange: false,
      linkedEtag: fake.sha256,
      requireToken: null,
      redirectBase: null,
    });
  }
  for (const name of Object.keys(savedEnvironment)) delete process.env[name];
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnvironment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
const finalPath = (): string => join(directory, 'model.gguf');
const partialPath = (): string => join(directory, 'model.gguf.partial');

async function interruptedPull(cutAfterBytes: number): Promise<number> {
  server.settings.cutAfterBytes = cutAfterBytes;
  await assert.rejects(
    pullModel({ source, modelsDirectory: directory }),
    /interrupted|ended after/,
  );
  const kept = (await stat(partialPath())).size;
  assert.ok(kept > 0 && kept <= cutAfterBytes, `kept ${kept} bytes`);
  assert.equal(existsSync(finalPath()), false);
  return kept;
}

describe('pullModel', () => {
  it('downloads a whole file, verifies it against X-Linked-Etag and renames it into place', async () => {
    const progress: PullProgress[] = [];
    const result = await pullModel({
      source,
      modelsDirectory: directory,
      onProgress: (update) => progress.push(update),
    });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: false,
    });
    assert.deepEqual(await readFile(finalPath()), server.data);
    assert.equal(existsSync(partialPath()), false);
    assert.equal(server.requests[0]?.range, undefined);
    assert.deepEqual(progress.at(-1)?.receivedBytes, SIZE);
    assert.equal(progress.at(-1)?.totalBytes, SIZE);
  });

  it('resumes after a cut connection with a Range request', async () => {
    const kept = await interruptedPull(1024 * 1024);
    const result = await pullModel({ source, modelsDirectory: directory });
    assert.equal(server.requests.at(-1)?.range, `bytes=${kept}-`);
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: true,
    });
    assert.deepEqual(await readFile(finalPath()), server.data);
  });

  it('starts over when the server ignores Range', async () => {
    const kept = await interruptedPull(700_000);
    server.settings.ignoreRange = true;
    const result = await pullModel({ source, modelsDirectory: directory });
    assert.equal(server.requests.at(-1)?.range, `bytes=${kept}-`);
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: false,
    });
  });

  it('treats a 416 as complete when the partial already holds the whole file', async () => {
    await writeFile(partialPath(), server.data);
    const result = await pullModel({ source, modelsDirectory: directory });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: true,
    });
    assert.equal(server.requests.length, 1);
  });

  it('starts over on a 416 when the partial is bigger than the file', async () => {
    await writeFile(partialPath(), Buffer.concat([server.data, Buffer.from('extra')]));
    const result = await pullModel({ source, modelsDirectory: directory });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: false,
    });
  });

  it('deletes the download and throws on an explicit sha256 mismatch', async () => {
    await assert.rejects(
      pullModel({ source, modelsDirectory: directory, sha256: '0'.repeat(64) }),
      /sha256 mismatch/,
    );
    assert.equal(existsSync(finalPath()), false);
    assert.equal(existsSync(partialPath()), false);
  });

  it('throws when the X-Linked-Etag does not match', async () => {
    server.settings.linkedEtag = 'f'.repeat(64);
    await assert.rejects(
      pullModel({ source, modelsDirectory: directory }),
      /sha256 mismatch.*expected f{64}/,
    );
    assert.equal(existsSync(finalPath()), false);
  });

  it('returns an existing verified file without downloading', async () => {
    await writeFile(finalPath(), server.data);
    const result = await pullModel({
      source,
      modelsDirectory: directory,
      sha256: server.sha256.toUpperCase(),
    });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: false,
    });
    assert.equal(server.requests.length, 0);
  });

  it('maps hf: through RIALTO_HF_ENDPOINT, reads the etag off the redirect and keeps HF_TOKEN off the CDN', async () => {
    process.env['RIALTO_HF_ENDPOINT'] = server.url;
    process.env['HF_TOKEN'] = 'secret';
    server.settings.redirectBase = cdn.url;
    cdn.settings.linkedEtag = null;
    const result = await pullModel({
      source: 'hf:owner/repo/sub/model.gguf',
      modelsDirectory: directory,
    });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: false,
    });
    assert.deepEqual(server.requests, [
      {
        path: '/owner/repo/resolve/main/sub/model.gguf',
        range: undefined,
        authorization: 'Bearer secret',
      },
    ]);
    assert.deepEqual(cdn.requests, [
      { path: '/files/model.gguf', range: undefined, authorization: undefined },
    ]);

    server.settings.linkedEtag = 'e'.repeat(64);
    await assert.rejects(
      pullModel({
        source: 'hf:owner/repo@dev/other/model.gguf',
        modelsDirectory: join(directory, 'again'),
      }),
      /sha256 mismatch/,
    );
    assert.equal(server.requests.at(-1)?.path, '/owner/repo/resolve/dev/other/model.gguf');
  });

  it('explains a gated Hugging Face repository', async () => {
    process.env['RIALTO_HF_ENDPOINT'] = server.url;
    server.settings.requireToken = 'secret';
    await assert.rejects(
      pullModel({ source: 'hf:owner/repo/model.gguf', modelsDirectory: directory }),
      /401.*gated or private; set HF_TOKEN/,
    );
  });

  it('rejects path traversal before any request', async () => {
    for (const attempt of ['hf:a/b/../../x.gguf', `${server.url}/%2e%2e%2fx.gguf`]) {
      await assert.rejects(
        pullModel({ source: attempt, modelsDirectory: directory }),
        /Invalid file path|path separator/,
      );
    }
    assert.equal(server.requests.length, 0);
  });

  it('keeps the partial on abort, and a later pull resumes it', async () => {
    const controller = new AbortController();
    const pull = pullModel({
      source,
      modelsDirectory: directory,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(pull, { name: 'AbortError' });
    const kept = (await stat(partialPath())).size;
    assert.ok(kept > 0 && kept < SIZE, `kept ${kept} bytes`);
    assert.equal(existsSync(finalPath()), false);
    const result = await pullModel({ source, modelsDirectory: directory });
    assert.deepEqual(result, {
      path: finalPath(),
      bytes: SIZE,
      sha256: server.sha256,
      resumed: true,
    });
  });
});
