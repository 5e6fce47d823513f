// rialto-test: sqlite-only
// POST /audio/transcriptions on the real pocketsphinx engine (Debian's pocketsphinx, pocketsphinx-en-us,
// pocketsphinx-testdata, ffmpeg; espeak-ng for the round trip): recognition quality, timings, formats,
// unusable audio, limits, strictness and per-second billing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFile } from 'openai';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { wordAccuracy } from '../support/word-accuracy.ts';
import { assertTimestamps } from '../support/transcript-timestamps.ts';

const PATH = '/audio/transcriptions';
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
/** The recording's transcript in pocketsphinx-testdata's librivox/transcription. */
const LIBRIVOX_0920 =
  'had he married a more a amiable woman he might have been made still more respectable than he was';
const PER_SECOND = 0.0001;
const UNUSABLE =
  'The audio could not be processed for transcription. Common causes: zero-length, silent, corrupt, or unsupported-language audio. Please verify the file and retry.';

function form(file: Buffer | undefined, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  if (file !== undefined) body.append('file', new Blob([file]), 'audio.wav');
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

describe('POST /audio/transcriptions (pocketsphinx)', () => {
  let rialto: TestRialto;
  let folder: string;
  let speech: Buffer;
  let silence: Buffer;
  const librivox = readFileSync(join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0920.wav'));

  const post = (body: FormData | string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}`, ...headers },
      body,
    });

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'rialto-asr-test-'));
    // espeak-ng's Klatt voice: pocketsphinx's US English model recognises it far better than the default voice.
    execFileSync('espeak-ng', [
      '-v',
      'en-us+klatt',
      '-s',
      '150',
      '-w',
      join(folder, 'speech.wav'),
      'the president said the economy is growing',
    ]);
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=16000:cl=mono',
      '-t',
      '3',
      '-c:a',
      'pcm_s16le',
      join(folder, 'silence.wav'),
    ]);
    speech = readFileSync(join(folder, 'speech.wav'));
    silence = readFileSync(join(folder, 'silence.wav'));
    rialto = await startRialto({
      models: [
        {
          id: 'asr-sphinx',
          type: 'asr',
          engine: { kind: 'pocketsphinx' },
          pricing: {
            input: { usd: 0, diem: 0 },
            output: { usd: 0, diem: 0 },
            per_audio_second: { usd: PER_SECOND, diem: PER_SECOND },
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('transcribes a LibriVox recording from pocketsphinx-testdata through the openai client, most words right', async () => {
    const transcription = await rialto.client.audio.transcriptions.create({
      file: await toFile(librivox, 'librivox.wav'),
      model: 'asr-sphinx',
    });
    validateResponse({ method: 'POST', path: PATH, status: 200, body: transcription });
    assert.ok(wordAccuracy(LIBRIVOX_0920, transcription.text) >= 0.7, transcription.text);
    assert.equal(Reflect.get(transcription, 'duration'), 6.05);
  });

  it('round trip: a sentence spoken by espeak-ng comes back with most words right, model headers set', async () => {
    const response = await post(form(speech, { model: 'asr-sphinx' }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-model-id'), 'asr-sphinx');
    assert.equal(response.headers.get('x-venice-model-router'), 'pocketsphinx');
    const body = (await response.json()) as {
      text: string;
      duration: number;
      timestamps?: unknown;
    };
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assert.ok(
      wordAccuracy('the president said the economy is growing', body.text) >= 0.7,
      body.text,
    );
    assert.ok(body.duration > 1 && body.duration < 10, String(body.duration));
    assert.equal(body.timestamps, undefined);
  });

  it('the model defaults to the first asr model', async () => {
    const response = await post(form(speech));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-model-id'), 'asr-sphinx');
  });

  it('timestamps: words and segments, each within the audio, in order, spelling out the text', async () => {
    const response = await post(form(librivox, { timestamps: 'true' }));
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      text: string;
      duration: number;
      timestamps: {
        word: { word: string; start: number; end: number }[];
        segment: { text: string; start: number; end: number }[];
      };
    };
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assertTimestamps(body);
  });

  it('response_format text, srt and vtt are text/plain bodies of the transcript', async () => {
    const text = await post(form(librivox, { response_format: 'text' }));
    assert.equal(text.status, 200);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    const plain = await text.text();
    validateResponse({
      method: 'POST',
      path: PATH,
      status: 200,
      contentType: 'text/plain',
      body: plain,
    });
    assert.ok(wordAccuracy(LIBRIVOX_0920, plain) >= 0.7, plain);

    const srt = await (await post(form(librivox, { response_format: 'srt' }))).text();
    assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n[a-z' ]+\n/);
    assert.ok(wordAccuracy(LIBRIVOX_0920, srt.replace(/^\d+$|^.*-->.*$/gm, '')) >= 0.7, srt);

    const vtt = await (await post(form(librivox, { response_format: 'vtt' }))).text();
    assert.match(vtt, /^WEBVTT\n\n00:00:\d\d\.\d{3} --> 00:00:\d\d\.\d{3}\n[a-z' ]+\n/);
  });

  it('verbose_json through the openai client has segments and words', async () => {
    const verbose = await rialto.client.audio.transcriptions.create({
      file: await toFile(librivox, 'librivox.wav'),
      model: 'asr-sphinx',
      response_format: 'verbose_json',
    });
    assert.equal(verbose.duration, 6.05);
    assert.ok((verbose.segments ?? []).length >= 1);
    assert.ok((verbose.words ?? []).length >= 10);
    assert.ok(wordAccuracy(LIBRIVOX_0920, verbose.text) >= 0.7, verbose.text);
  });

  it('silent audio is 422 ASR_UPSTREAM_VALIDATION_FAILED, and nothing is charged', async () => {
    const before = await rialto.store.accounts.find('default');
    const response = await post(form(silence));
    assert.equal(response.status, 422);
    const body: unknown = await response.json();
    assert.deepEqual(body, { error: UNUSABLE });
    validateResponse({ method: 'POST', path: PATH, status: 422, body });
    assert.equal((await rialto.store.accounts.find('default'))?.usdBalance, before?.usdBalance);
  });

  it('corrupt bytes and an empty file are 422', async () => {
    const corrupt = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251));
    for (const file of [corrupt, Buffer.alloc(0)]) {
      const response = await post(form(file));
      assert.equal(response.status, 422);
      assert.deepEqual(await response.json(), { error: UNUSABLE });
    }
  });

  it('a file over 25 MB is 413 with the PayloadTooLargeError body', async () => {
    const response = await post(form(Buffer.alloc(26 * 1024 * 1024, 1)));
    assert.equal(response.status, 413);
    const body: unknown = await response.json();
    assert.deepEqual(body, {
      code: 'PAYLOAD_TOO_LARGE',
      error: 'File exceeds the maximum allowed size of 25 MB.',
    });
    validateResponse({ method: 'POST', path: PATH, status: 413, body });
  });

  it('is strict: an unknown field, a missing file, a bad response_format are 400', async () => {
    const unknown = await post(form(speech, { prompt: 'hello' }));
    assert.equal(unknown.status, 400);
    const body = (await unknown.json()) as { error: string; issues: { message: string }[] };
    validateResponse({ method: 'POST', path: PATH, status: 400, body });
    assert.deepEqual(
      body.issues.map((issue) => issue.message),
      ["Unrecognized key(s) in object: 'prompt'"],
    );

    const missing = (await (await post(form(undefined, { model: 'asr-sphinx' }))).json()) as {
      issues: { path: string[]; message: string }[];
    };
    assert.deepEqual(
      missing.issues.map(({ path, message }) => ({ path, message })),
      [{ path: ['file'], message: 'Required' }],
    );

    assert.equal((await post(form(speech, { response_format: 'mp3' }))).status, 400);
    assert.equal((await post(form(speech, { model: 'no-such-model' }))).status, 404);
  });

  it('only this route takes multipart: JSON here is 415, and multipart elsewhere is still 415', async () => {
    const json = await post(JSON.stringify({ model: 'asr-sphinx' }), {
      'content-type': 'application/json',
    });
    assert.equal(json.status, 415);
    const elsewhere = await fetch(`${rialto.baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body: form(speech),
    });
    assert.equal(elsewhere.status, 415);
  });

  it('bills per second of audio: the usage record holds duration × per_audio_second', async () => {
    const listRecords = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
    const earlier = new Set((await listRecords()).map((record) => record.id));
    const response = await post(form(librivox, { model: 'asr-sphinx' }));
    assert.equal(response.status, 200);
    const { duration } = (await response.json()) as { duration: number };
    const added = (await listRecords()).filter((record) => !earlier.has(record.id));
    assert.equal(added.length, 1);
    const record = added[0]!;
    assert.equal(record.modelId, 'asr-sphinx');
    assert.equal(record.modelType, 'asr');
    assert.equal(record.status, 'completed');
    assert.equal(record.amount, toNanos(6.05 * PER_SECOND));
    assert.equal(duration, 6.05);
  });

  it('GET /models?type=asr lists the model with its per-second price', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=asr`, {
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
    });
    const body = (await response.json()) as {
      data: { id: string; model_spec: { pricing: unknown } }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    assert.deepEqual(
      body.data.map((model) => [model.id, model.model_spec.pricing]),
      [['asr-sphinx', { per_audio_second: { usd: PER_SECOND, diem: PER_SECOND } }]],
    );
  });
});
