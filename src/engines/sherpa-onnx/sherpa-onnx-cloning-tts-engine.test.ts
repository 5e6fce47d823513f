// The sherpa-onnx zero-shot engine on a tiny random-weight Pocket TTS (test/fixtures/tiny-pocket-tts.ts), run by
// the real sherpa-onnx: the folder's own samples as voices, a cloned sample decoded and kept under the voices
// folder (10 s at most, 24 kHz float), speech in it, its deletion, and the refusals.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sherpaOnnxEngine } from '../../config/engine-config.ts';
import { EngineError } from '../engine-error.ts';
import type { SpeechEngine, SpeechRequest } from '../engine.ts';
import { canCloneVoices, type VoiceCloningEngine } from '../voice-cloning.ts';
import {
  TINY_POCKET_FRAME_SAMPLES,
  TINY_POCKET_VOICES,
  tinyPocketTtsFolder,
} from '../../../test/fixtures/tiny-pocket-tts.ts';
import { toneWav } from '../../../test/support/tone-wav.ts';
import { createSherpaOnnxCloningTtsEngine } from './sherpa-onnx-cloning-tts-engine.ts';

const request: SpeechRequest = {
  model: 'pocket',
  input: 'Hello world.',
  voice: 'bria',
  format: 'pcm',
  speed: 1,
};
const NAME = 'rialto-0b9e5a4e-8d1f-4c57-9a51-3f7a2b6c1d00';
const OTHER_NAME = 'rialto-7c3d2e1f-0a9b-4c8d-8e7f-6a5b4c3d2e1f';

async function collect(engine: SpeechEngine, input: SpeechRequest): Promise<Buffer> {
  const { audio } = await engine.synthesize(input, { signal: new AbortController().signal });
  const chunks: Buffer[] = [];
  for await (const chunk of audio) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<EngineError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof EngineError, String(error));
  return error;
}

describe('sherpa-onnx zero-shot tts engine (tiny Pocket TTS)', () => {
  let folder: string;
  let voices: string;
  let engine: SpeechEngine & VoiceCloningEngine;
  const config = (extra: Record<string, unknown> = {}) =>
    sherpaOnnxEngine.parse({
      kind: 'sherpa-onnx',
      family: 'pocket',
      path: folder,
      threads: 1,
      ...extra,
    });

  before(async () => {
    folder = await tinyPocketTtsFolder();
    voices = await mkdtemp(join(tmpdir(), 'rialto-pocket-voices-'));
    engine = await createSherpaOnnxCloningTtsEngine(config(), '/', voices);
  });
  after(async () => {
    await engine?.close();
    await rm(voices, { recursive: true, force: true });
  });

  it('offers the samples of test_wavs/ as voices and clones zero-shot', () => {
    assert.deepEqual(engine.voices('pocket'), TINY_POCKET_VOICES);
    assert.equal(canCloneVoices(engine), true);
    assert.deepEqual(engine.voiceCloning, {
      mode: 'zero_shot',
      minSampleSeconds: 5,
      retentionDays: 7,
    });
  });

  it('speaks in each sample: whole Mimi frames, longer for longer text, another voice another sound', async () => {
    const short = await collect(engine, request);
    const long = await collect(engine, {
      ...request,
      input: 'Hello world from Venice, this is the voice.',
    });
    const loona = await collect(engine, { ...request, voice: 'loona' });
    // The tiny model makes 2 × tokens + 3 frames of 1920 samples (16-bit PCM: 2 bytes each).
    assert.equal(short.length % (TINY_POCKET_FRAME_SAMPLES * 2), 0, `${short.length}`);
    assert.ok(short.length >= 5 * TINY_POCKET_FRAME_SAMPLES * 2, `${short.length}`);
    assert.ok(long.length > short.length * 1.5, `${long.length} vs ${short.length}`);
    assert.equal(loona.length, short.length, 'the same text, the same number of frames');
    assert.equal(loona.equals(short), false, 'another reference, other audio');
  });

  it('applies speed with ffmpeg (Pocket TTS ignores it)', async () => {
    const normal = await collect(engine, request);
    const fast = await collect(engine, { ...request, speed: 2 });
    assert.ok(
      Math.abs(fast.length / normal.length - 0.5) < 0.05,
      `${fast.length} vs ${normal.length}`,
    );
  });

  it('keeps a cloned sample as 24 kHz float (its first 10 s), speaks in it, and deletes it', async () => {
    await engine.addVoice(NAME, toneWav(12, { hertz: 250 }), 'wav', {
      signal: new AbortController().signal,
    });
    const file = join(voices, `${NAME}.f32`);
    assert.equal(statSync(file).size, 10 * 24_000 * 4);
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    assert.deepEqual(readdirSync(voices), [`${NAME}.f32`], 'no upload left behind');
    const cloned = await collect(engine, { ...request, voice: NAME });
    const again = await collect(engine, { ...request, voice: NAME });
    const bria = await collect(engine, request);
    assert.equal(cloned.length, bria.length);
    assert.ok(
      cloned.equals(again),
      'the same text in the same voice is the same audio (seeded noise)',
    );
    assert.equal(cloned.equals(bria), false, 'spoken in the cloned voice');

    await engine.deleteVoice(NAME, new AbortController().signal);
    assert.equal(existsSync(file), false);
    await engine.deleteVoice(NAME, new AbortController().signal);
    const gone = await refusal(
      engine.synthesize({ ...request, voice: NAME }, { signal: new AbortController().signal }),
    );
    assert.equal(gone.failure, 'bad_request');
  });

  it('refuses a sample ffmpeg cannot decode, keeping nothing', async () => {
    const broken = Buffer.concat([
      Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'),
      Buffer.alloc(40, 7),
    ]);
    const error = await refusal(
      engine.addVoice(OTHER_NAME, broken, 'wav', { signal: new AbortController().signal }),
    );
    assert.equal(error.failure, 'bad_request');
    assert.match(error.message, /could not be decoded as audio|holds no audio/);
    assert.deepEqual(
      readdirSync(voices).filter(
        (entry) => !entry.startsWith('rialto-') || entry.includes(OTHER_NAME),
      ),
      [],
      'neither the upload nor a partial file is left',
    );
  });

  it('a folder with no test_wavs offers no voice: only a cloned one speaks', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'rialto-pocket-bare-'));
    try {
      await cp(folder, bare, {
        recursive: true,
        filter: (source) => !source.includes('test_wavs'),
      });
      const plain = await createSherpaOnnxCloningTtsEngine(
        sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family: 'pocket', path: bare, threads: 1 }),
        '/',
        voices,
      );
      try {
        assert.deepEqual(plain.voices('pocket'), []);
        const error = await refusal(
          plain.synthesize({ ...request, voice: '' }, { signal: new AbortController().signal }),
        );
        assert.equal(error.failure, 'bad_request');
        await plain.addVoice(OTHER_NAME, toneWav(3), 'wav', {
          signal: new AbortController().signal,
        });
        const spoken = await collect(plain, { ...request, voice: OTHER_NAME });
        assert.ok(spoken.length > 0);
        await plain.deleteVoice(OTHER_NAME, new AbortController().signal);
      } finally {
        await plain.close();
      }
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('refuses a voice it does not have, and a configured voice with no sample', async () => {
    const error = await refusal(
      engine.synthesize({ ...request, voice: 'nobody' }, { signal: new AbortController().signal }),
    );
    assert.equal(error.failure, 'bad_request');
    await assert.rejects(
      createSherpaOnnxCloningTtsEngine(config({ voices: ['bria', 'nobody'] }), '/', voices),
      /voices nobody have no sample in test_wavs/,
    );
  });
});
