// `rialto pull hf:owner/repo`: a real HTTP server on 127.0.0.1 speaking the Hub's API as huggingface_hub reads it
// (GET /api/models/<owner>/<repo>/tree/<revision>?recursive=true, a JSON list of {type, path, size, lfs: {oid}},
// paged with Link rel="next"; GET /<owner>/<repo>/resolve/<revision>/<path> with X-Linked-Etag for LFS files).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseHuggingFaceRepository,
  pullHuggingFaceRepository,
} from './hugging-face-repository.ts';
import { matchSherpaOnnxFolder } from './sherpa-onnx-pull.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('rialto pull hf:owner/repo (every file of a repository)', () => {
  let server: Server;
  let endpoint: string;
  let files: Record<string, Buffer>;
  let listed: string[];
  let cutNext: string | null;
  let models: string;
  const requests: string[] = [];
  const previousEndpoint = process.env['RIALTO_HF_ENDPOINT'];

  before(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      requests.push(
        `${url.pathname}${url.search}${request.headers.range ? ` ${request.headers.range}` : ''}`,
      );
      const tree = /^\/api\/models\/csukuangfj\/([^/]+)\/tree\/main$/.exec(url.pathname);
      if (tree !== null && url.searchParams.get('recursive') === 'true') {
        // Two pages: the folders and the first file, then the rest (as the Hub pages by cursor).
        const items = [
          { type: 'file', path: '.gitattributes', size: 10, oid: 'x' },
          { type: 'directory', path: 'test_wavs', size: 0, oid: 'y' },
          ...listed.map((path) => {
            const data = files[path] ?? Buffer.alloc(0);
            return {
              type: 'file',
              path,
              size: data.length,
              oid: 'git-sha1',
              ...(path.endsWith('.onnx') ? { lfs: { oid: sha256(data), size: data.length } } : {}),
            };
          }),
        ];
        const second = url.searchParams.get('cursor') === '2';
        const page = second ? items.slice(3) : items.slice(0, 3);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (!second)
          headers['link'] = `<${endpoint}${url.pathname}?recursive=true&cursor=2>; rel="next"`;
        response.writeHead(200, headers).end(JSON.stringify(page));
        return;
      }
      const resolve = /^\/csukuangfj\/([^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
      const path = resolve?.[2] === undefined ? undefined : decodeURIComponent(resolve[2]);
      const data = path === undefined ? undefined : files[path];
      if (data === undefined) {
        response.writeHead(404).end('Entry not found');
        return;
      }
      const headers: Record<string, string> = { 'accept-ranges': 'bytes' };
      if (path?.endsWith('.onnx')) headers['x-linked-etag'] = `"${sha256(data)}"`;
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
      const start = range === null ? 0 : Number(range[1]);
      if (range !== null)
        headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
      const body = data.subarray(start);
      headers['content-length'] = String(body.length);
      response.writeHead(range === null ? 200 : 206, headers);
      if (cutNext === path) {
        cutNext = null;
        response.write(body.subarray(0, body.length >> 1), () => response.socket?.destroy());
        return;
      }
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env['RIALTO_HF_ENDPOINT'] = endpoint;
  });
  after(async () => {
    if (previousEndpoint === undefined) delete process.env['RIALTO_HF_ENDPOINT'];
    else process.env['RIALTO_HF_ENDPOINT'] = previousEndpoint;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    models = mkdtempSync(join(tmpdir(), 'rialto-hf-repo-'));
    files = {
      'encoder.int8.onnx': Buffer.alloc(200_000, 1),
      'decoder.int8.onnx': Buffer.from('decoder'),
      'joiner.int8.onnx': Buffer.from('joiner'),
      'tokens.txt': Buffer.from('<blk> 0\n'),
      'test_wavs/0.wav': Buffer.from('RIFF'),
    };
    listed = Object.keys(files);
    cutNext = null;
    requests.length = 0;
  });
  afterEach(() => rmSync(models, { recursive: true, force: true }));

  const repository = parseHuggingFaceRepository(
    'hf:csukuangfj/sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8',
  );
  const pull = (extra: { maxFiles?: number; maxBytes?: number } = {}) =>
    pullHuggingFaceRepository({ repository: repository!, modelsDirectory: models, ...extra });

  it('parses hf:owner/repo[@revision] and leaves hf:owner/repo/file to the single-file pull', () => {
    assert.deepEqual(parseHuggingFaceRepository('hf:csukuangfj/kokoro-multi-lang-v1_0@v2/'), {
      owner: 'csukuangfj',
      repository: 'kokoro-multi-lang-v1_0',
      revision: 'v2',
    });
    assert.equal(parseHuggingFaceRepository('hf:owner/repo/model.gguf'), undefined);
    assert.equal(parseHuggingFaceRepository('hf:owner/..'), undefined);
  });

  it('fetches every file of both listing pages (not .gitattributes) into <models>/<repo>, a Parakeet folder', async () => {
    const result = await pull();
    const folder = join(models, 'sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8');
    assert.equal(result.folder, folder);
    assert.equal(result.files, 5);
    assert.deepEqual(readdirSync(models), ['sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8']);
    for (const [path, data] of Object.entries(files))
      assert.deepEqual(readFileSync(join(folder, path)), data, path);
    assert.ok(!existsSync(join(folder, '.gitattributes')));
    assert.ok(requests.some((request) => request.includes('cursor=2')));
    assert.deepEqual(matchSherpaOnnxFolder(folder), { family: 'nemo-transducer', type: 'asr' });
    const again = await pull();
    assert.equal(again.downloaded, false);
  });

  it('an interrupted file resumes on the next pull; the folder appears only when complete', async () => {
    cutNext = 'encoder.int8.onnx';
    await assert.rejects(pull(), /interrupted|ended after/);
    assert.deepEqual(readdirSync(models), ['.sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8.partial']);
    requests.length = 0;
    await pull();
    assert.ok(requests.some((request) => /\/encoder\.int8\.onnx bytes=[1-9]\d*-$/.test(request)));
    assert.deepEqual(readdirSync(models), ['sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8']);
  });

  it('refuses a listing with "../" or an absolute path, too many files or too many bytes, before any download', async () => {
    for (const [path, message] of [
      ['../evil.onnx', /climbs out/],
      ['/etc/evil.onnx', /absolute path/],
    ] as const) {
      files[path] = Buffer.from('pwned');
      listed = Object.keys(files);
      await assert.rejects(pull(), message);
      delete files[path];
    }
    listed = Object.keys(files);
    await assert.rejects(pull({ maxFiles: 3 }), /more than 3 files: refused/);
    await assert.rejects(pull({ maxBytes: 100_000 }), /more than 100000 bytes: refused/);
    assert.ok(!requests.some((request) => request.includes('/resolve/')));
    assert.deepEqual(readdirSync(models), []);
  });
});
