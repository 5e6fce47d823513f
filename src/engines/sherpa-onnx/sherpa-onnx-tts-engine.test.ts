// The sherpa-onnx TTS engine on a tiny random-weight Kokoro v1.0 (test/fixtures/tiny-kokoro.ts) with Debian's
// espeak-ng-data: voices from the model's metadata, WAV length following text and speed, every format, the
// per-model bound (MODEL_AT_CAPACITY), and the checks that keep a bad model from ending the process.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sherpaOnnxEngine } from '../../config/engine-config.ts';
import { EngineError } from '../engine-error.ts';
import type { SpeechEngine, SpeechRequest } from '../engine.ts';
import {
  buildFailingKokoroModel,
  TINY_KOKORO_SAMPLES_PER_TOKEN,
  TINY_KOKORO_VOICES,
  tinyKokoroFolder,
} from '../../../test/fixtures/tiny-kokoro.ts';
import { tinyVitsFolder } from '../../../test/fixtures/tiny-kokoro-vits.ts';
import { createSherpaOnnxTtsEngine } from './sherpa-onnx-tts-engine.ts';

const request: SpeechRequest = {
  model: 'kokoro',
  input: 'Hello world. Hello Rialto.',
  voice: 'af_heart',
  format: 'pcm',
  speed: 1,
};

async function collect(
  engine: SpeechEngine,
  input: SpeechRequest,
  signal = new AbortController().signal,
) {
  const { audio } = await engine.synthesize(input, { signal });
  const chunks: Buffer[] = [];
  for await (const chunk of audio) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Seconds of 24 kHz 16-bit mono PCM. */
const seconds = (pcm: Buffer): number => pcm.length / 2 / 24_000;

describe('sherpa-onnx tts engine (tiny Kokoro)', () => {
  let folder: string;
  let engine: SpeechEngine;
  const config = (extra: Record<string, unknown> = {}) =>
    sherpaOnnxEngine.parse({
      kind: 'sherpa-onnx',
      family: 'kokoro',
      path: folder,
      threads: 1,
      ...extra,
    });

  before(async () => {
    folder = await tinyKokoroFolder();
    engine = await createSherpaOnnxTtsEngine(config(), '/');
  });
  after(() => engine?.close());

  it('offers the model speaker_names as voices, in speaker-id order, and every format', async () => {
    assert.deepEqual(engine.voices('kokoro'), TINY_KOKORO_VOICES);
    assert.deepEqual(engine.formats('kokoro'), ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);
    assert.equal((await engine.checkHealth(new AbortController().signal)).healthy, true);
  });

  it('audio length follows the text and the speed; each voice sounds different', async () => {
    const one = await collect(engine, { ...request, input: 'Hello world.' });
    const two = await collect(engine, request);
    const fast = await collect(engine, { ...request, speed: 2 });
    const other = await collect(engine, { ...request, voice: 'af_alloy' });
    // "hello world." is at least 10 phoneme tokens from the lexicon: 10 × 600 samples = 0.25 s.
    assert.ok(seconds(one) >= (10 * TINY_KOKORO_SAMPLES_PER_TOKEN) / 24_000, `${seconds(one)} s`);
    assert.ok(seconds(two) > seconds(one) * 1.6, `${seconds(two)} s vs ${seconds(one)} s`);
    assert.ok(
      Math.abs(seconds(fast) - seconds(two) / 2) < 0.05,
      `${seconds(fast)} vs ${seconds(two)}`,
    );
    assert.equal(other.length, two.length);
    assert.notDeepEqual(other, two);
  });

  it('words outside the lexicon go through espeak-ng; a language hint it cannot use is ignored', async () => {
    const english = await collect(engine, { ...request, input: 'Zebras quickly jumped.' });
    assert.ok(seconds(english) > 0.3, `${seconds(english)} s`);
    const hinted = await collect(engine, {
      ...request,
      input: 'Hola amigos.',
      language: 'Spanish',
    });
    const ignored = await collect(engine, {
      ...request,
      input: 'Hola amigos.',
      language: 'Klingon',
    });
    assert.ok(seconds(hinted) > 0.1 && seconds(ignored) > 0.1);
  });

  it('wav is a 24 kHz mono 16-bit RIFF file; a stream yields more than one chunk for many sentences', async () => {
    const wav = await collect(engine, { ...request, format: 'wav' });
    assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(wav.readUInt16LE(22), 1);
    assert.equal(wav.readUInt32LE(24), 24_000);
    assert.equal(wav.readUInt16LE(34), 16);
    const { audio } = await engine.synthesize(
      {
        ...request,
        input: Array.from({ length: 12 }, () => 'Hello world, hello Rialto.').join(' '),
      },
      { signal: new AbortController().signal },
    );
    let chunks = 0;
    for await (const _ of audio) chunks += 1;
    assert.ok(chunks > 1, `${chunks} chunk(s)`);
  });

  it('an unknown voice is a bad request', async () => {
    await assert.rejects(
      engine.synthesize({ ...request, voice: 'en-us' }, { signal: new AbortController().signal }),
      (error) => error instanceof EngineError && error.failure === 'bad_request',
    );
  });

  it('beyond maxConcurrency + maxQueue a request gets capacity; an aborted stream frees its turn', async () => {
    const bounded = await createSherpaOnnxTtsEngine(
      config({ maxConcurrency: 1, maxQueue: 0 }),
      '/',
    );
    const long = { ...request, input: 'Hello world. '.repeat(40) };
    const first = await bounded.synthesize(long, { signal: new AbortController().signal });
    const reading = first.audio[Symbol.asyncIterator]();
    await reading.next();
    const second = await bounded.synthesize(request, { signal: new AbortController().signal });
    await assert.rejects(
      second.audio[Symbol.asyncIterator]().next(),
      (error) => error instanceof EngineError && error.failure === 'capacity',
    );
    await reading.return?.(undefined);
    assert.equal(bounded.load?.().active, 0);
    assert.ok((await collect(bounded, request)).length > 0);
    await bounded.close();
  });

  it('configured voices name the speakers; more voices than speakers fail the load', async () => {
    const named = await createSherpaOnnxTtsEngine(config({ voices: ['alice', 'bob'] }), '/');
    assert.deepEqual(named.voices('kokoro'), ['alice', 'bob']);
    await named.close();
    await assert.rejects(
      createSherpaOnnxTtsEngine(config({ voices: ['a', 'b', 'c', 'd', 'e', 'f'] }), '/'),
      /6 voices configured, the model has 5 speakers/,
    );
  });
});

describe('sherpa-onnx tts engine: a bad model folder fails the load, not the process', () => {
  let broken: string;
  before(async () => {
    broken = await mkdtemp(join(tmpdir(), 'rialto-bad-kokoro-'));
    await cp(await tinyKokoroFolder(), broken, { recursive: true, verbatimSymlinks: true });
  });
  after(() => rm(broken, { recursive: true, force: true }));
  const load = (files: Record<string, string> = {}) =>
    createSherpaOnnxTtsEngine(
      sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family: 'kokoro', path: broken, files }),
      '/',
    );

  it('a missing folder or file is named', async () => {
    await assert.rejects(
      createSherpaOnnxTtsEngine(
        sherpaOnnxEngine.parse({
          kind: 'sherpa-onnx',
          family: 'kokoro',
          path: '/nonexistent/kokoro',
        }),
        '/',
      ),
      /model folder \/nonexistent\/kokoro does not exist/,
    );
    await assert.rejects(load({ voices: 'none.bin' }), /the voices file .*none\.bin is not in/);
  });

  it('a voices.bin of the wrong size (sherpa-onnx would exit) is refused', async () => {
    await writeFile(join(broken, 'short-voices.bin'), Buffer.alloc(12));
    await assert.rejects(load({ voices: 'short-voices.bin' }), /has 12 bytes; 5 speakers/);
  });

  it('a model that is not ONNX, and a malformed tokens.txt, are refused', async () => {
    await writeFile(join(broken, 'garbage.onnx'), 'not a model at all');
    await assert.rejects(load({ model: 'garbage.onnx' }), /not an ONNX model|no integer metadata/);
    await writeFile(join(broken, 'bad-tokens.txt'), 'ab 1\n');
    await assert.rejects(load({ tokens: 'bad-tokens.txt' }), /line 1 is not "<one symbol> <id>"/);
  });
});

describe('sherpa-onnx tts engine: the model runs in a child process', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-failing-kokoro-'));
    await cp(await tinyKokoroFolder(), folder, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(folder, 'failing.onnx'), buildFailingKokoroModel());
  });
  after(() => rm(folder, { recursive: true, force: true }));
  const create = (extra: Record<string, unknown>) =>
    createSherpaOnnxTtsEngine(
      sherpaOnnxEngine.parse({
        kind: 'sherpa-onnx',
        family: 'kokoro',
        path: folder,
        threads: 1,
        ...extra,
      }),
      '/',
    );

  it('a generate that never returns is a timeout, and the process is replaced', async () => {
    const engine = await create({ files: { model: 'failing.onnx' }, timeoutMs: 1500 });
    await assert.rejects(
      collect(engine, request),
      (error) => error instanceof EngineError && error.failure === 'timeout',
    );
    await assert.rejects(
      collect(engine, request),
      (error) => error instanceof EngineError && error.failure === 'timeout',
    );
    await engine.close();
  });

  it('a killed process fails its request; the next request starts a new one', async () => {
    const engine = await create({});
    const [pid] = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], {
      encoding: 'utf8',
    })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((found) => found > 0 && existsSync(`/proc/${found}/cmdline`))
      .filter((found) =>
        readFileSync(`/proc/${found}/cmdline`, 'utf8').includes('sherpa-onnx-tts-worker'),
      );
    assert.ok(pid !== undefined);
    // Unread audio holds the feeding back (pipe backpressure), so most pieces are still to be generated.
    const long = { ...request, input: 'Hello world. '.repeat(200) };
    const { audio } = await engine.synthesize(long, { signal: new AbortController().signal });
    const reading = audio[Symbol.asyncIterator]();
    await reading.next();
    process.kill(pid, 'SIGKILL');
    await assert.rejects(
      (async () => {
        while (!(await reading.next()).done) {}
      })(),
      (error) => error instanceof EngineError && error.failure === 'failed',
    );
    assert.ok((await collect(engine, request)).length > 0);
    await engine.close();
  });
});

describe('sherpa-onnx tts engine: another family by config (tiny Piper VITS)', () => {
  it('loads the one .onnx with espeak-ng phonemes; one speaker "0"; length follows the speed; 22.05 kHz in, 24 kHz out', async () => {
    const engine = await createSherpaOnnxTtsEngine(
      sherpaOnnxEngine.parse({
        kind: 'sherpa-onnx',
        family: 'vits',
        path: await tinyVitsFolder(),
        threads: 1,
      }),
      '/',
    );
    try {
      assert.deepEqual(engine.voices('piper'), ['0']);
      const normal = await collect(engine, { ...request, voice: '0' });
      const fast = await collect(engine, { ...request, voice: '0', speed: 2 });
      assert.ok(seconds(normal) > 0.2, `${seconds(normal)} s`);
      assert.ok(
        Math.abs(seconds(fast) - seconds(normal) / 2) < 0.05,
        `${seconds(fast)} vs ${seconds(normal)}`,
      );
    } finally {
      await engine.close();
    }
  });
});
