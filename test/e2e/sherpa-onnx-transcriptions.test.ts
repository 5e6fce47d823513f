// rialto-test: sqlite-only
// POST /audio/transcriptions on the sherpa-onnx engine kind (#19 part B) with tiny random-weight models built by
// the fixtures: Whisper (English-only and multilingual) and Parakeet TDT, each with a tiny Silero VAD. The
// words are noise, so the tests check the API: bodies against the swagger, every format, timestamps in order
// and inside the audio, the VAD's cut of tone-silence-tone, and the errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toFile } from 'openai';
import { writeTinyParakeet } from '../fixtures/tiny-parakeet.ts';
import { speechPattern, writeTinySilero } from '../fixtures/tiny-silero.ts';
import { writeTinyWhisper } from '../fixtures/tiny-whisper.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';

const PATH = '/audio/transcriptions';
const UNUSABLE =
  'The audio could not be processed for transcription. Common causes: zero-length, silent, corrupt, or unsupported-language audio. Please verify the file and retry.';
const FREE = { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } };

interface Timed {
  start: number;
  end: number;
}

interface TimedBody {
  text: string;
  duration: number;
  timestamps: { word: ({ word: string } & Timed)[]; segment: ({ text: string } & Timed)[] };
}

function form(file: Buffer, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  body.append('file', new Blob([file]), 'audio.wav');
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

/** Each entry inside the audio and at or after the end of the one before. */
function assertInOrder(list: Timed[], duration: number): void {
  list.forEach((entry, index) => {
    assert.ok(
      entry.start >= 0 && entry.end >= entry.start && entry.end <= duration,
      JSON.stringify(entry),
    );
    if (index > 0) assert.ok(entry.start >= list[index - 1]!.end, JSON.stringify(list));
  });
}

describe('POST /audio/transcriptions (sherpa-onnx: tiny Whisper and Parakeet TDT with Silero VAD)', () => {
  let rialto: TestRialto;
  let folder: string;
  // Two stretches of "speech" (0-1.5 s and 3-4.2 s) in 5 s; three in the longer one (0-2, 4-6, 8-10 of 11 s).
  const twoTones = speechPattern([{ tone: 1.5 }, 1.5, { tone: 1.2 }, 0.8]);
  const threeTones = speechPattern([{ tone: 2 }, 2, { tone: 2 }, 2, { tone: 2 }, 1]);

  const post = (body: FormData): Promise<Response> =>
    fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body,
    });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-sherpa-asr-e2e-'));
    await writeTinyWhisper(join(folder, 'whisper'));
    await writeTinySilero(join(folder, 'whisper', 'silero_vad.onnx'));
    await writeTinyWhisper(join(folder, 'whisper-multi'), { languages: ['en', 'fr', 'de'] });
    await writeTinySilero(join(folder, 'whisper-multi', 'silero_vad.onnx'));
    await writeTinyParakeet(join(folder, 'parakeet'));
    await writeTinySilero(join(folder, 'parakeet', 'silero_vad.onnx'));
    const model = (id: string, family: string, path: string, aliases: string[] = []) => ({
      id,
      type: 'asr',
      aliases,
      engine: { kind: 'sherpa-onnx', family, path: join(folder, path), threads: 1 },
      pricing: { ...FREE, per_audio_second: { usd: 0.0001, diem: 0.0001 } },
    });
    rialto = await startRialto({
      models: [
        model('whisper-tiny', 'whisper', 'whisper', ['openai/whisper-large-v3']),
        model('whisper-multi', 'whisper', 'whisper-multi'),
        model('parakeet-tdt', 'nemo-transducer', 'parakeet', ['nvidia/parakeet-tdt-0.6b-v3']),
      ],
    });
  });

  after(async () => {
    await rialto.close();
    await rm(folder, { recursive: true, force: true });
  });

  for (const model of ['whisper-tiny', 'parakeet-tdt']) {
    it(`${model}: json through the openai client, swagger-valid, served by sherpa-onnx`, async () => {
      const transcription = await rialto.client.audio.transcriptions.create({
        file: await toFile(twoTones, 'speech.wav'),
        model,
      });
      validateResponse({ method: 'POST', path: PATH, status: 200, body: transcription });
      assert.ok(transcription.text.length > 0);
      assert.equal(Reflect.get(transcription, 'duration'), 5);
      const response = await post(form(twoTones, { model }));
      assert.equal(response.headers.get('x-venice-model-id'), model);
      assert.equal(response.headers.get('x-venice-model-router'), 'sherpa-onnx');
    });

    it(`${model}: timestamps over plain HTTP, the VAD's two stretches as two segments, in order`, async () => {
      const response = await post(form(twoTones, { model, timestamps: 'true' }));
      assert.equal(response.status, 200);
      const body = (await response.json()) as TimedBody;
      validateResponse({ method: 'POST', path: PATH, status: 200, body });
      const { segment, word } = body.timestamps;
      assert.equal(segment.length, 2, JSON.stringify(segment));
      assert.equal(segment.map((entry) => entry.text).join(' '), body.text);
      assertInOrder(segment, body.duration);
      assert.ok(segment[0]!.start < 0.2 && segment[1]!.start > 2.7, JSON.stringify(segment));
      if (model === 'parakeet-tdt') {
        // Parakeet's token times give words; none falls in the silence between the tones.
        assert.ok(word.length > 0);
        assert.equal(word.map((entry) => entry.word).join(' '), body.text);
        assertInOrder(word, body.duration);
        for (const entry of word)
          assert.ok(entry.end <= 2.3 || entry.start >= 2.8, JSON.stringify(entry));
      } else assert.deepEqual(word, []);
    });
  }

  it('verbose_json through the openai client: segments and (Parakeet) words', async () => {
    const verbose = await rialto.client.audio.transcriptions.create({
      file: await toFile(threeTones, 'speech.wav'),
      model: 'parakeet-tdt',
      response_format: 'verbose_json',
    });
    assert.equal(verbose.duration, 11);
    assert.equal(verbose.segments?.length, 3, JSON.stringify(verbose.segments));
    assertInOrder(verbose.segments ?? [], 11);
    assert.ok((verbose.words ?? []).length > 0);
    assertInOrder(verbose.words ?? [], 11);
  });

  it('text, srt and vtt: one cue per stretch of speech, at its times', async () => {
    const text = await post(form(threeTones, { model: 'whisper-tiny', response_format: 'text' }));
    assert.equal(text.status, 200);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    const transcript = await text.text();
    assert.ok(transcript.length > 0);
    const srt = await (
      await post(form(threeTones, { model: 'whisper-tiny', response_format: 'srt' }))
    ).text();
    const cues = [
      ...srt.matchAll(/^(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)$/gm),
    ];
    assert.deepEqual(
      cues.map((cue) => cue[1]),
      ['1', '2', '3'],
      srt,
    );
    // Subtitles are decoded with timings (Whisper's timestamp tokens), as verbose_json is: the same words.
    const verbose = (await (
      await post(form(threeTones, { model: 'whisper-tiny', response_format: 'verbose_json' }))
    ).json()) as { text: string };
    assert.equal(cues.map((cue) => cue[4]).join(' '), verbose.text);
    assert.ok(cues[1]![2]! >= '00:00:03,800' && cues[2]![2]! >= '00:00:07,800', srt);
    const vtt = await (
      await post(form(threeTones, { model: 'whisper-tiny', response_format: 'vtt' }))
    ).text();
    assert.match(vtt, /^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:0\d\.\d{3}\n.+\n/);
    assert.equal(vtt.match(/-->/g)?.length, 3);
  });

  it('multilingual Whisper: a language it knows is 200, one it does not is 422', async () => {
    const french = await post(form(twoTones, { model: 'whisper-multi', language: 'fr' }));
    assert.equal(french.status, 200);
    validateResponse({ method: 'POST', path: PATH, status: 200, body: await french.json() });
    const unknown = await post(form(twoTones, { model: 'whisper-multi', language: 'xx' }));
    assert.equal(unknown.status, 422);
    const body: unknown = await unknown.json();
    assert.deepEqual(body, { error: UNUSABLE });
    validateResponse({ method: 'POST', path: PATH, status: 422, body });
  });

  it('silence, corrupt bytes and an empty file are 422, and nothing is charged', async () => {
    const before = await rialto.store.accounts.find('default');
    const corrupt = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251));
    for (const model of ['whisper-tiny', 'parakeet-tdt'])
      for (const file of [speechPattern([2]), corrupt, Buffer.alloc(0)]) {
        const response = await post(form(file, { model }));
        assert.equal(response.status, 422);
        const body: unknown = await response.json();
        assert.deepEqual(body, { error: UNUSABLE });
        validateResponse({ method: 'POST', path: PATH, status: 422, body });
      }
    assert.equal((await rialto.store.accounts.find('default'))?.usdBalance, before?.usdBalance);
  });

  it("Venice's model ids reach the sherpa-onnx models through aliases", async () => {
    for (const [alias, id] of [
      ['nvidia/parakeet-tdt-0.6b-v3', 'parakeet-tdt'],
      ['openai/whisper-large-v3', 'whisper-tiny'],
    ]) {
      const response = await post(form(twoTones, { model: alias! }));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-venice-model-id'), id);
      validateResponse({ method: 'POST', path: PATH, status: 200, body: await response.json() });
    }
  });
});
