import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinyParakeet } from '../../../test/fixtures/tiny-parakeet.ts';
import { speechPattern, writeTinySilero } from '../../../test/fixtures/tiny-silero.ts';
import { writeTinyWhisper } from '../../../test/fixtures/tiny-whisper.ts';
import { toneWav } from '../../../test/support/tone-wav.ts';
import { sherpaOnnxEngine } from '../../config/engine-config.ts';
import type { TranscriptionEngine, TranscriptionResult } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { createSherpaOnnxAsrEngine } from './sherpa-onnx-asr-engine.ts';
import { sherpaOnnxAsr } from './sherpa-onnx-asr-module.ts';
import { transcriptOf, wordsOfTokens } from './sherpa-onnx-asr-transcript.ts';
import { SAMPLE_RATE, type SpeechPiece, vadPieces } from './sherpa-onnx-speech-pieces.ts';

const signal = new AbortController().signal;

function engineConfig(
  family: 'whisper' | 'nemo-transducer',
  path: string,
  extra: Record<string, unknown> = {},
) {
  return sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family, path, threads: 1, ...extra });
}

/** Entries inside the audio, each starting at or after the previous one's end. */
function assertInOrder(list: { start: number; end: number }[], duration: number): void {
  let floor = 0;
  for (const entry of list) {
    assert.ok(entry.start >= floor - 1e-9, JSON.stringify(list));
    assert.ok(entry.end >= entry.start && entry.end <= duration + 1e-9, JSON.stringify(entry));
    floor = entry.end;
  }
}

function transcribe(
  engine: TranscriptionEngine,
  audio: Buffer,
  options: { timestamps?: boolean; language?: string } = {},
): Promise<TranscriptionResult> {
  return engine.transcribe(
    {
      model: 'asr',
      audio,
      timestamps: options.timestamps ?? true,
      decodeLimits: { maxSeconds: 120, timeoutSeconds: 30 },
      ...(options.language === undefined ? {} : { language: options.language }),
    },
    { signal },
  );
}

describe('sherpa-onnx speech recognition (tiny random-weight Whisper, Parakeet TDT, Silero VAD)', () => {
  let folder: string;
  let whisperFolder: string;
  let multilingualFolder: string;
  let parakeetFolder: string;
  // tone 1.5 s, silence 1.5 s, tone 1.2 s, silence 0.8 s: two stretches of speech in 5 s.
  const twoTones = speechPattern([{ tone: 1.5 }, 1.5, { tone: 1.2 }, 0.8]);

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-sherpa-asr-test-'));
    whisperFolder = join(folder, 'whisper');
    multilingualFolder = join(folder, 'whisper-multi');
    parakeetFolder = join(folder, 'parakeet');
    await writeTinyWhisper(whisperFolder);
    await writeTinySilero(join(whisperFolder, 'silero_vad.onnx'));
    await writeTinyWhisper(multilingualFolder, { languages: ['en', 'fr', 'de'] });
    await writeTinyParakeet(parakeetFolder);
    await writeTinySilero(join(parakeetFolder, 'silero_vad.onnx'));
  });

  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('the tiny models load in sherpa-onnx-node and decode a tone (Parakeet: token times inside the audio)', async () => {
    const addon = sherpaOnnxAsr();
    const samples = new Float32Array(SAMPLE_RATE * 2);
    for (let index = 0; index < samples.length; index++)
      samples[index] = 0.25 * Math.sin((2 * Math.PI * 440 * index) / SAMPLE_RATE);
    const whisper = await addon.OfflineRecognizer.createAsync({
      featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
      modelConfig: {
        whisper: {
          encoder: join(whisperFolder, 'tiny.en-encoder.onnx'),
          decoder: join(whisperFolder, 'tiny.en-decoder.onnx'),
        },
        tokens: join(whisperFolder, 'tiny.en-tokens.txt'),
        numThreads: 1,
        provider: 'cpu',
        debug: 0,
      },
    });
    const whisperStream = whisper.createStream();
    whisperStream.acceptWaveform({ samples, sampleRate: SAMPLE_RATE });
    const heard = await whisper.decodeAsync(whisperStream);
    assert.match(heard.text, /^[a-z]+( [a-z]+)*$/);
    const parakeet = await addon.OfflineRecognizer.createAsync({
      featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
      modelConfig: {
        transducer: {
          encoder: join(parakeetFolder, 'encoder.int8.onnx'),
          decoder: join(parakeetFolder, 'decoder.int8.onnx'),
          joiner: join(parakeetFolder, 'joiner.int8.onnx'),
        },
        modelType: 'nemo_transducer',
        tokens: join(parakeetFolder, 'tokens.txt'),
        numThreads: 1,
        provider: 'cpu',
        debug: 0,
      },
    });
    const parakeetStream = parakeet.createStream();
    parakeetStream.acceptWaveform({ samples, sampleRate: SAMPLE_RATE });
    const result = await parakeet.decodeAsync(parakeetStream);
    assert.ok((result.tokens ?? []).length > 0);
    assert.equal(result.timestamps?.length, result.tokens?.length);
    assert.equal(result.durations?.length, result.tokens?.length);
    const times = result.timestamps ?? [];
    times.forEach((time, index) => {
      assert.ok(time >= 0 && time < 2, String(time));
      if (index > 0) assert.ok(time >= (times[index - 1] ?? 0));
    });
  });

  it('the tiny Silero VAD finds the two tones of tone-silence-tone, where they are', async () => {
    const samples = new Float32Array(SAMPLE_RATE * 5);
    for (let index = 0; index < samples.length; index++) {
      const seconds = index / SAMPLE_RATE;
      if (seconds < 1.5 || (seconds >= 3 && seconds < 4.2))
        samples[index] = 0.25 * Math.sin(2 * Math.PI * 440 * seconds);
    }
    // Fed in uneven chunks, as a file is read: the windows are cut across them.
    async function* chunks(): AsyncGenerator<Float32Array> {
      for (let offset = 0; offset < samples.length; offset += 7_001)
        yield samples.subarray(offset, offset + 7_001);
    }
    const pieces: SpeechPiece[] = [];
    for await (const piece of vadPieces(
      (config, seconds) => new (sherpaOnnxAsr().Vad)(config, seconds),
      {
        model: join(whisperFolder, 'silero_vad.onnx'),
        threshold: 0.5,
        minSilenceSeconds: 0.5,
        minSpeechSeconds: 0.25,
        maxSpeechSeconds: 28,
      },
      chunks(),
    ))
      pieces.push(piece);
    assert.equal(pieces.length, 2);
    const spans = pieces.map((piece) => [
      piece.start / SAMPLE_RATE,
      (piece.start + piece.samples.length) / SAMPLE_RATE,
    ]);
    assert.ok(spans[0]![0]! < 0.1 && Math.abs(spans[0]![1]! - 1.5) < 0.6, JSON.stringify(spans));
    assert.ok(
      Math.abs(spans[1]![0]! - 3) < 0.2 && Math.abs(spans[1]![1]! - 4.2) < 0.6,
      JSON.stringify(spans),
    );
  });

  it('Whisper: the VAD cuts tone-silence-tone into two segments, in order and inside the audio', async () => {
    const engine = await createSherpaOnnxAsrEngine(engineConfig('whisper', whisperFolder), folder);
    try {
      assert.match((await engine.checkHealth(signal)).detail, /with Silero VAD/);
      const result = await transcribe(engine, twoTones);
      assert.ok(Math.abs(result.duration - 5) < 0.01, String(result.duration));
      assert.ok(result.text.length > 0);
      assert.equal(result.segments?.length, 2, JSON.stringify(result.segments));
      assert.equal(result.segments?.map((segment) => segment.text).join(' '), result.text);
      assertInOrder(result.segments ?? [], result.duration);
      assert.ok(result.segments![1]!.start >= 2.5, JSON.stringify(result.segments));
      // Without timings Whisper decodes without timestamp tokens (its words may differ, as OpenAI's do).
      const plain = await transcribe(engine, twoTones, { timestamps: false });
      assert.deepEqual(Object.keys(plain).sort(), ['duration', 'text']);
      assert.ok(plain.text.length > 0 && plain.duration === result.duration);
    } finally {
      await engine.close();
    }
  });

  it('Parakeet TDT: words from token times, monotonic and inside the audio, spelling out the text', async () => {
    const engine = await createSherpaOnnxAsrEngine(
      engineConfig('nemo-transducer', parakeetFolder),
      folder,
    );
    try {
      const result = await transcribe(engine, twoTones);
      const words = result.words ?? [];
      assert.ok(words.length > 0);
      assert.equal(words.map((word) => word.word).join(' '), result.text);
      assertInOrder(words, result.duration);
      assert.equal(result.segments?.length, 2);
      assertInOrder(result.segments ?? [], result.duration);
      // Each word lies inside a stretch of speech, none in the silence between.
      for (const word of words)
        assert.ok(word.end <= 2.3 || word.start >= 2.8, JSON.stringify(word));
    } finally {
      await engine.close();
    }
  });

  it('without a VAD, long audio is cut every 28 s (Whisper reads 30 s at most)', async () => {
    const bare = join(folder, 'whisper-bare');
    await writeTinyWhisper(bare);
    const engine = await createSherpaOnnxAsrEngine(engineConfig('whisper', bare), folder);
    try {
      const result = await transcribe(engine, toneWav(40));
      assert.equal(result.segments?.length, 2, JSON.stringify(result.segments));
      assert.deepEqual(
        result.segments?.map((segment) => [segment.start, segment.end]),
        [
          [0, 28],
          [28, 40],
        ],
      );
    } finally {
      await engine.close();
    }
  });

  it('silence, garbage and an empty file are bad requests', async () => {
    const engine = await createSherpaOnnxAsrEngine(engineConfig('whisper', whisperFolder), folder);
    try {
      for (const audio of [speechPattern([2]), Buffer.from('not audio at all'), Buffer.alloc(0)])
        await assert.rejects(transcribe(engine, audio), (error: unknown) => {
          assert.ok(error instanceof EngineError, String(error));
          assert.equal(error.failure, 'bad_request');
          return true;
        });
    } finally {
      await engine.close();
    }
  });

  it('quiet audio the VAD finds no speech in (above silence, under its threshold) is an empty transcript', async () => {
    const engine = await createSherpaOnnxAsrEngine(engineConfig('whisper', whisperFolder), folder);
    try {
      // -50 dBFS: above the -54 dBFS silence floor, under the tiny VAD's -40 dBFS.
      const quiet = toneWav(2);
      for (let offset = 44; offset + 1 < quiet.length; offset += 2)
        quiet.writeInt16LE(Math.round(quiet.readInt16LE(offset) / 80), offset);
      assert.deepEqual(await transcribe(engine, quiet), { text: '', duration: 2, segments: [] });
    } finally {
      await engine.close();
    }
  });

  it('multilingual Whisper takes a language it knows and refuses one it does not', async () => {
    const engine = await createSherpaOnnxAsrEngine(
      engineConfig('whisper', multilingualFolder),
      folder,
    );
    try {
      const [english, french, detected] = await Promise.all([
        transcribe(engine, toneWav(2), { language: 'en' }),
        transcribe(engine, toneWav(2), { language: 'fr' }),
        transcribe(engine, toneWav(2)),
      ]);
      for (const result of [english, french, detected]) assert.ok(result.text.length > 0);
      await assert.rejects(transcribe(engine, toneWav(1), { language: 'xx' }), (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.failure, 'bad_request');
        assert.match(error.message, /'xx'/);
        return true;
      });
    } finally {
      await engine.close();
    }
  });

  it('bounded concurrency: with one turn and no queue, a second request at once is MODEL_AT_CAPACITY', async () => {
    const engine = await createSherpaOnnxAsrEngine(
      engineConfig('whisper', whisperFolder, { maxConcurrency: 1, maxQueue: 0 }),
      folder,
    );
    try {
      const first = transcribe(engine, toneWav(3));
      await assert.rejects(transcribe(engine, toneWav(1)), (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.failure, 'capacity');
        return true;
      });
      assert.ok((await first).text.length > 0);
      assert.ok((await transcribe(engine, toneWav(1))).text.length > 0);
    } finally {
      await engine.close();
    }
  });

  it('a client gone away stops its request and frees its turn', async () => {
    const engine = await createSherpaOnnxAsrEngine(
      engineConfig('nemo-transducer', parakeetFolder, { maxConcurrency: 1, maxQueue: 0 }),
      folder,
    );
    try {
      const gone = new AbortController();
      const running = engine.transcribe(
        { model: 'asr', audio: toneWav(60), timestamps: true },
        { signal: gone.signal },
      );
      setImmediate(() => gone.abort(new Error('client disconnected')));
      await assert.rejects(running, /client disconnected/);
      assert.ok((await transcribe(engine, toneWav(1))).text.length > 0);
    } finally {
      await engine.close();
    }
  });

  it('malformed models fail the load with an Error naming the file, and the process lives on', async () => {
    // A Whisper encoder without the metadata sherpa-onnx reads (it would end the process).
    const broken = join(folder, 'broken-whisper');
    await writeTinyWhisper(broken);
    await copyFile(join(parakeetFolder, 'encoder.int8.onnx'), join(broken, 'tiny.en-encoder.onnx'));
    await assert.rejects(
      createSherpaOnnxAsrEngine(engineConfig('whisper', broken), folder),
      /tiny\.en-encoder\.onnx: metadata 'n_mels' is missing/,
    );
    // A Parakeet whose tokens.txt lacks tokens.
    const short = join(folder, 'short-tokens');
    await writeTinyParakeet(short);
    await writeFile(join(short, 'tokens.txt'), 'a 0\n<blk> 1\n');
    await assert.rejects(
      createSherpaOnnxAsrEngine(engineConfig('nemo-transducer', short), folder),
      /tokens\.txt/,
    );
    // A joiner where the decoder should be: sherpa-onnx would index outputs it lacks (a segfault at decode).
    const swapped = join(folder, 'swapped-decoder');
    await writeTinyParakeet(swapped);
    await copyFile(join(swapped, 'joiner.int8.onnx'), join(swapped, 'decoder.int8.onnx'));
    await assert.rejects(
      createSherpaOnnxAsrEngine(engineConfig('nemo-transducer', swapped), folder),
      /decoder\.int8\.onnx: a NeMo transducer decoder has 4 inputs and 4 outputs, this one 2 and 1/,
    );
    const swappedWhisper = join(folder, 'swapped-whisper');
    await writeTinyWhisper(swappedWhisper);
    await copyFile(
      join(swappedWhisper, 'tiny.en-encoder.onnx'),
      join(swappedWhisper, 'tiny.en-decoder.onnx'),
    );
    await assert.rejects(
      createSherpaOnnxAsrEngine(engineConfig('whisper', swappedWhisper), folder),
      /a Whisper decoder has 6 inputs and 3 outputs, this one 1 and 2/,
    );
    // Something else where the VAD should be.
    const wrongVad = join(folder, 'wrong-vad');
    await writeTinyWhisper(wrongVad);
    await copyFile(join(parakeetFolder, 'joiner.int8.onnx'), join(wrongVad, 'silero_vad.onnx'));
    await assert.rejects(
      createSherpaOnnxAsrEngine(engineConfig('whisper', wrongVad), folder),
      /not a Silero VAD/,
    );
  });

  it("words from tokens: a leading space starts a word; a word ends at its last token's end", () => {
    const words = wordsOfTokens({
      start: 10,
      end: 12,
      result: {
        text: 'ab c',
        tokens: ['a', 'b', ' c', ' d'],
        timestamps: [0, 0.08, 0.5, 1.9],
        durations: [0.08, 0.16, 0, 0.4],
      },
    });
    assert.deepEqual(words, [
      { word: 'ab', start: 10, end: 10.24 },
      { word: 'c', start: 10.5, end: 11.9 },
      { word: 'd', start: 11.9, end: 12 },
    ]);
  });

  it("Whisper's own segment times are used when they fit the piece, else the piece is one segment", () => {
    const fitting = {
      start: 30,
      end: 40,
      result: {
        text: ' one two three',
        segment_timestamps: [0.5, 4],
        segment_durations: [3, 5.2],
        segment_texts: [' one two', ' three'],
      },
    };
    const beyond = {
      start: 50,
      end: 52,
      result: {
        text: ' four',
        segment_timestamps: [0.88, 29.22],
        segment_durations: [16.94, 0],
        segment_texts: [' four', ''],
      },
    };
    assert.deepEqual(transcriptOf([fitting, beyond], 60, true), {
      text: 'one two three four',
      duration: 60,
      segments: [
        { text: 'one two', start: 30.5, end: 33.5 },
        { text: 'three', start: 34, end: 39.2 },
        { text: 'four', start: 50, end: 52 },
      ],
    });
  });
});
