// `rialto pull <…>.tar.bz2`: archives built here (tar-stream + Debian's bzip2) served by a real HTTP server on
// 127.0.0.1. Hostile archives (`../`, an absolute path, a symlink or hardlink out, an entry-count bomb, a size bomb)
// are refused with nothing written outside the models folder and nothing left inside it; an interrupted download
// resumes; the unpacked folder is matched to its sherpa-onnx family and the rialto.yaml entry is built.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import {
  type ModelFileServer,
  startModelFileServer,
} from '../../test/support/model-file-server.ts';
import { type ArchiveEntry, tarBz2 } from '../../test/support/tar-bz2.ts';
import { parseConfig } from '../config.ts';
import {
  isTarBz2Source,
  matchSherpaOnnxFolder,
  pullSherpaOnnxArchive,
} from './sherpa-onnx-pull.ts';

const WHISPER: ArchiveEntry[] = [
  { name: 'sherpa-onnx-whisper-tiny.en/', type: 'directory' },
  { name: 'sherpa-onnx-whisper-tiny.en/tiny.en-encoder.int8.onnx', data: 'encoder' },
  { name: 'sherpa-onnx-whisper-tiny.en/tiny.en-decoder.int8.onnx', data: 'decoder' },
  { name: 'sherpa-onnx-whisper-tiny.en/tiny.en-tokens.txt', data: 'a 0\n' },
  { name: 'sherpa-onnx-whisper-tiny.en/test_wavs/0.wav', data: 'RIFF' },
];

describe('rialto pull of a sherpa-onnx .tar.bz2', () => {
  let parent: string;
  let models: string;
  let server: ModelFileServer | undefined;

  const serve = async (archive: Buffer): Promise<ModelFileServer> => {
    server = await startModelFileServer(archive);
    return server;
  };
  const pull = (name: string, extra: { maxUnpackedBytes?: number; maxEntries?: number } = {}) =>
    pullSherpaOnnxArchive({
      source: `${server?.url}/${name}`,
      modelsDirectory: models,
      ...extra,
    });
  /** Only `models` in the parent, and nothing at all in `models` (no archive, partial or temp folder). */
  const assertNothingWritten = () => {
    assert.deepEqual(readdirSync(parent), ['models']);
    assert.deepEqual(readdirSync(models), []);
  };

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'rialto-sherpa-pull-'));
    models = join(parent, 'models');
    mkdirSync(models);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(parent, { recursive: true, force: true });
  });

  it('names .tar.bz2 sources, not single files', () => {
    assert.equal(isTarBz2Source('https://example.com/a/kokoro-multi-lang-v1_0.tar.bz2'), true);
    assert.equal(isTarBz2Source('https://example.com/a/silero_vad.onnx'), false);
  });

  it('unpacks Whisper tiny.en into <models>/sherpa-onnx-whisper-tiny.en, deletes the archive, prints an asr entry', async () => {
    await serve(await tarBz2(WHISPER));
    const result = await pull('sherpa-onnx-whisper-tiny.en.tar.bz2');
    const folder = join(models, 'sherpa-onnx-whisper-tiny.en');
    assert.equal(result.folder, folder);
    assert.equal(result.unpacked, true);
    assert.equal(result.files, 4);
    assert.deepEqual(readdirSync(models), ['sherpa-onnx-whisper-tiny.en']);
    assert.equal(readFileSync(join(folder, 'test_wavs', '0.wav'), 'utf8'), 'RIFF');
    assert.deepEqual(result.match, { family: 'whisper', type: 'asr' });
    const config = parseConfig(parseYaml(result.entry ?? ''));
    assert.deepEqual(config.models[0]?.engine, {
      ...config.models[0]?.engine,
      kind: 'sherpa-onnx',
      family: 'whisper',
      path: 'sherpa-onnx-whisper-tiny.en',
    });
    assert.equal(config.models[0]?.type, 'asr');
    // A second pull finds the folder and downloads nothing.
    const requests = server?.requests.length;
    const again = await pull('sherpa-onnx-whisper-tiny.en.tar.bz2');
    assert.equal(again.unpacked, false);
    assert.equal(server?.requests.length, requests);
  });

  it('a Silero VAD pulled beside the folders goes into an asr entry as ../silero_vad.onnx', async () => {
    await serve(await tarBz2(WHISPER));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(models, 'silero_vad.onnx'), 'vad');
    const result = await pull('sherpa-onnx-whisper-tiny.en.tar.bz2');
    assert.match(result.entry ?? '', /files:\n {8}vad: \.\.\/silero_vad\.onnx\n$/);
  });

  it('an interrupted download resumes from where it stopped, then unpacks', async () => {
    // Incompressible bytes, so the cut falls well inside the body whatever the socket's buffering.
    const archive = await tarBz2([
      ...WHISPER,
      { name: 'sherpa-onnx-whisper-tiny.en/noise.bin', data: randomBytes(300_000) },
    ]);
    await serve(archive);
    server!.settings.cutAfterBytes = Math.floor(archive.length / 2);
    await assert.rejects(pull('sherpa-onnx-whisper-tiny.en.tar.bz2'), /interrupted|ended after/);
    const kept = statSync(join(models, 'sherpa-onnx-whisper-tiny.en.tar.bz2.partial')).size;
    assert.ok(kept > 0 && kept < archive.length, `${kept} of ${archive.length} bytes kept`);
    const result = await pull('sherpa-onnx-whisper-tiny.en.tar.bz2');
    assert.equal(result.unpacked, true);
    assert.equal(server!.requests.at(-1)?.range, `bytes=${kept}-`);
    assert.deepEqual(readdirSync(models), ['sherpa-onnx-whisper-tiny.en']);
  });

  const hostile: [
    string,
    () => ArchiveEntry[],
    RegExp,
    { maxUnpackedBytes?: number; maxEntries?: number }?,
  ][] = [
    [
      '"../evil"',
      () => [
        { name: 'model/', type: 'directory' },
        { name: 'model/tokens.txt', data: 'a 0\n' },
        { name: 'model/../../evil', data: 'pwned' },
      ],
      /climbs out with "\.\."/,
    ],
    [
      'an absolute path',
      () => [
        { name: 'model/tokens.txt', data: 'a 0\n' },
        { name: join(parent, 'absolute-evil'), data: 'pwned' },
      ],
      /absolute path/,
    ],
    [
      'a symlink out, then a file through it',
      () => [
        { name: 'model/tokens.txt', data: 'a 0\n' },
        { name: 'model/out', type: 'symlink', linkname: parent },
        { name: 'model/out/evil', data: 'pwned' },
      ],
      /symlink to ".*": links and special files are refused/,
    ],
    [
      'a hardlink',
      () => [
        { name: 'model/tokens.txt', data: 'a 0\n' },
        { name: 'model/passwd', type: 'link', linkname: '/etc/passwd' },
      ],
      /link to "\/etc\/passwd": links and special files are refused/,
    ],
    [
      'an entry-count bomb',
      () => Array.from({ length: 500 }, (_, index) => ({ name: `model/${index}.txt`, data: 'x' })),
      /more than 100 entries/,
      { maxEntries: 100 },
    ],
    [
      'a size bomb (4 MiB of zeros, a few hundred bytes compressed)',
      () => [
        { name: 'model/tokens.txt', data: 'a 0\n' },
        { name: 'model/model.onnx', data: Buffer.alloc(4 * 1024 ** 2) },
      ],
      /unpacks to more than 1048576 bytes/,
      { maxUnpackedBytes: 1024 ** 2 },
    ],
  ];
  for (const [what, entries, message, caps] of hostile) {
    it(`refuses ${what}: nothing outside the models folder, no partial folder left`, async () => {
      await serve(await tarBz2(entries()));
      await assert.rejects(pull('model.tar.bz2', caps), (error: Error) => {
        assert.match(error.message, message);
        assert.match(error.message, /the archive was deleted and nothing was unpacked/);
        return true;
      });
      assertNothingWritten();
    });
  }

  it('a file that is not bzip2 fails and is deleted, nothing unpacked', async () => {
    await serve(Buffer.from('<html>not an archive</html>'));
    await assert.rejects(pull('model.tar.bz2'), /Could not unpack .*; the archive was deleted/);
    assertNothingWritten();
  });
});

describe('sherpa-onnx family of a folder', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'rialto-sherpa-family-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));
  const match = async (names: string[]) => {
    const { writeFileSync } = await import('node:fs');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    for (const name of names) writeFileSync(join(folder, name), '');
    return matchSherpaOnnxFolder(folder);
  };
  it('Parakeet (a joiner) is nemo-transducer, not Whisper; Kokoro is not VITS; an unknown folder is none', async () => {
    assert.deepEqual(
      await match(['encoder.int8.onnx', 'decoder.int8.onnx', 'joiner.int8.onnx', 'tokens.txt']),
      { family: 'nemo-transducer', type: 'asr' },
    );
    assert.deepEqual(await match(['model.onnx', 'voices.bin', 'tokens.txt']), {
      family: 'kokoro',
      type: 'tts',
    });
    assert.deepEqual(await match(['en_US-amy-low.onnx', 'tokens.txt']), {
      family: 'vits',
      type: 'tts',
    });
    assert.equal(await match(['readme.md']), undefined);
  });
});
