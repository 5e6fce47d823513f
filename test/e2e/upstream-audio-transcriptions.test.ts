// rialto-test: sqlite-only
// POST /audio/transcriptions on openai-compatible upstreams: the openai client through Rialto to the audio
// double (real pocketsphinx recognition behind OpenAI's whisper-1 protocol): every response_format, word and
// segment timings, what is sent upstream (verbose_json only for timings; FLAC for containers OpenAI refuses),
// the speech → transcription round trip, unusable audio, upstream failures and per-second billing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFile } from 'openai';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import {
  SERVER_ERROR,
  startOpenAiAudioServer,
  type OpenAiAudioServer,
} from '../support/upstream/openai-audio-server.ts';
import {
  AudioFolder,
  PER_SECOND,
  asrModel,
  ledgerDuring,
  ttsModel,
} from './upstream-audio-support.ts';
import { wordAccuracy } from '../support/word-accuracy.ts';
import { assertTimestamps } from '../support/transcript-timestamps.ts';

const PATH = '/audio/transcriptions';
/** pocketsphinx-testdata's LibriVox clip (6.05 s) and its transcript (librivox/transcription). */
const LIBRIVOX = readFileSync(
  '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav',
);
const LIBRIVOX_TEXT =
  'had he married a more a amiable woman he might have been made still more respectable than he was';
const SENTENCE = 'the president said the economy is growing';
const UNUSABLE =
  'The audio could not be processed for transcription. Common causes: zero-length, silent, corrupt, or unsupported-language audio. Please verify the file and retry.';

function form(
  file: Buffer | undefined,
  fields: Record<string, string> = {},
  name = 'audio.wav',
): FormData {
  const body = new FormData();
  if (file !== undefined) body.append('file', new Blob([file]), name);
  for (const [field, value] of Object.entries(fields)) body.append(field, value);
  return body;
}

describe('POST /audio/transcriptions (openai-compatible upstream)', () => {
  let whisper: OpenAiAudioServer;
  let doomed: OpenAiAudioServer;
  let rialto: TestRialto;
  const folder = new AudioFolder();
  let speech: Buffer;

  const post = (body: FormData): Promise<Response> =>
    fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body,
    });
  /** ffmpeg's re-encoding of `input` (a file in the folder) with `args`. */
  const encode = (input: Buffer, args: string[], extension: string): Buffer => {
    const source = folder.write('source.wav', input);
    const target = join(folder.path, `encoded-${Date.now()}-${Math.random()}.${extension}`);
    execFileSync('ffmpeg', ['-v', 'error', '-i', source, ...args, target]);
    return readFileSync(target);
  };

  before(async () => {
    [whisper, doomed] = await Promise.all([startOpenAiAudioServer(), startOpenAiAudioServer()]);
    // espeak-ng's Klatt voice: pocketsphinx's US English model hears it far better than the default voice.
    speech = execFileSync('espeak-ng', ['-v', 'en-us+klatt', '-s', '150', '--stdout', SENTENCE]);
    rialto = await startRialto({
      models: [
        asrModel('asr-whisper', whisper.url),
        asrModel('asr-doomed', doomed.url),
        asrModel('asr-slow', whisper.url, { timeoutMs: 1000 }),
        ttsModel('tts-kokoro', whisper.url),
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await Promise.all([whisper?.close(), doomed?.close()]);
    folder.remove();
  });

  it('openai client: json transcript of a LibriVox clip, the request sent as json with the file as uploaded', async () => {
    const sent = whisper.requests.length;
    const transcription = await rialto.client.audio.transcriptions.create({
      file: await toFile(LIBRIVOX, 'librivox.wav'),
      model: 'asr-whisper',
      language: 'en',
    });
    validateResponse({ method: 'POST', path: PATH, status: 200, body: transcription });
    assert.ok(wordAccuracy(LIBRIVOX_TEXT, transcription.text) >= 0.7, transcription.text);
    // Rialto's own measure of the audio, not the upstream's.
    assert.equal(Reflect.get(transcription, 'duration'), 6.05);
    const [request] = whisper.requests.slice(sent);
    assert.deepEqual(request?.fields, {
      model: ['whisper-1'],
      response_format: ['json'],
      language: ['en'],
    });
    assert.equal(request?.file?.filename, 'audio.wav');
    assert.ok(request?.file?.bytes.equals(LIBRIVOX));
  });

  it('timestamps: verbose_json with word and segment granularities upstream; words and segments in order within the audio', async () => {
    const sent = whisper.requests.length;
    const response = await post(form(LIBRIVOX, { model: 'asr-whisper', timestamps: 'true' }));
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get('x-venice-model-router'),
      `openai-compatible/${new URL(whisper.url).host}`,
    );
    const body = (await response.json()) as {
      text: string;
      duration: number;
      timestamps: {
        word: { word: string; start: number; end: number }[];
        segment: { text: string; start: number; end: number }[];
      };
    };
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assert.deepEqual(
      whisper.requests.slice(sent).map((request) => request.fields),
      [
        {
          model: ['whisper-1'],
          response_format: ['verbose_json'],
          'timestamp_granularities[]': ['word', 'segment'],
        },
      ],
    );
    // Whisper's segment text starts with a space; Rialto's does not (the segments spell out the text).
    assertTimestamps(body);
  });

  it('response_format text, srt and vtt are text/plain; verbose_json through the openai client has segments and words', async () => {
    const text = await post(form(LIBRIVOX, { response_format: 'text' }));
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    const plain = await text.text();
    validateResponse({
      method: 'POST',
      path: PATH,
      status: 200,
      contentType: 'text/plain',
      body: plain,
    });
    assert.ok(wordAccuracy(LIBRIVOX_TEXT, plain) >= 0.7, plain);
    const srt = await (await post(form(LIBRIVOX, { response_format: 'srt' }))).text();
    assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n[a-z' ]+\n/);
    const vtt = await (await post(form(LIBRIVOX, { response_format: 'vtt' }))).text();
    assert.match(vtt, /^WEBVTT\n\n00:00:\d\d\.\d{3} --> 00:00:\d\d\.\d{3}\n[a-z' ]+\n/);
    const verbose = await rialto.client.audio.transcriptions.create({
      file: await toFile(LIBRIVOX, 'librivox.wav'),
      model: 'asr-whisper',
      response_format: 'verbose_json',
    });
    assert.equal(verbose.duration, 6.05);
    assert.ok((verbose.segments ?? []).length >= 1 && (verbose.words ?? []).length >= 10);
    assert.ok(wordAccuracy(LIBRIVOX_TEXT, verbose.text) >= 0.7, verbose.text);
  });

  it('the upload goes under the extension of its real container; ADTS AAC (which OpenAI refuses) goes as 16 kHz FLAC', async () => {
    const mp3 = encode(speech, ['-c:a', 'libmp3lame'], 'mp3');
    const aac = encode(speech, ['-c:a', 'aac', '-f', 'adts'], 'aac');
    for (const [bytes, name, sentAs] of [
      [speech, 'recording.bin', 'audio.wav'],
      [mp3, 'clip', 'audio.mp3'],
      [aac, 'clip.aac', 'audio.flac'],
    ] as const) {
      const sent = whisper.requests.length;
      const response = await post(form(bytes, {}, name));
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as { text: string };
      assert.ok(wordAccuracy(SENTENCE, body.text) >= 0.7, `${name}: ${body.text}`);
      const file = whisper.requests[sent]?.file;
      assert.equal(file?.filename, sentAs);
      if (sentAs === 'audio.flac')
        assert.equal(file?.bytes.subarray(0, 4).toString('latin1'), 'fLaC');
      else assert.ok(file?.bytes.equals(bytes));
    }
  });

  it('round trip: speech made upstream through Rialto comes back through Rialto with most words right', async () => {
    const spoken = await rialto.client.audio.speech.create({
      model: 'tts-kokoro',
      voice: 'am_michael',
      input: SENTENCE,
      response_format: 'mp3',
      speed: 150 / 175,
    });
    const heard = await rialto.client.audio.transcriptions.create({
      file: await toFile(Buffer.from(await spoken.arrayBuffer()), 'speech.mp3'),
      model: 'asr-whisper',
    });
    assert.ok(wordAccuracy(SENTENCE, heard.text) >= 0.7, heard.text);
  });

  it('corrupt, empty and silent audio are 422 before the upstream is asked, and nothing is charged', async () => {
    const corrupt = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251));
    const silence = encode(speech, ['-af', 'volume=0'], 'wav');
    const sent = whisper.requests.length;
    const { added, spent } = await ledgerDuring(rialto, async () => {
      for (const file of [corrupt, Buffer.alloc(0), silence]) {
        const response = await post(form(file));
        assert.equal(response.status, 422);
        const body: unknown = await response.json();
        assert.deepEqual(body, { error: UNUSABLE });
        validateResponse({ method: 'POST', path: PATH, status: 422, body });
      }
    });
    assert.equal(whisper.requests.length, sent);
    assert.deepEqual([added.length, spent], [0, 0]);
  });

  const failures: [string, { status: number; body: unknown }, number, string][] = [
    [
      '500',
      SERVER_ERROR,
      502,
      'Audio transcription failed due to a temporary upstream error. Please retry.',
    ],
    [
      '400',
      {
        status: 400,
        body: {
          error: {
            message: 'Audio file might be corrupted or unsupported',
            type: 'invalid_request_error',
            param: 'file',
            code: 'invalid_value',
          },
        },
      },
      422,
      UNUSABLE,
    ],
    [
      '429',
      {
        status: 429,
        body: {
          error: {
            message: 'Rate limit reached',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        },
      },
      429,
      'The model is currently overloaded. Please try again later.',
    ],
  ];
  for (const [name, failure, status, message] of failures) {
    it(`upstream ${name} is ${status} "${message.slice(0, 40)}…", the reservation released and nothing charged`, async () => {
      whisper.failNext(failure);
      const { added, spent } = await ledgerDuring(rialto, async () => {
        const response = await post(form(speech));
        assert.equal(response.status, status);
        const body = (await response.json()) as { error: string };
        // The swagger documents no 502 here; ASR_UPSTREAM_FAILED is docs/api-reference/error-codes.mdx's.
        if (status === 502) validateSchema('StandardError', body);
        else validateResponse({ method: 'POST', path: PATH, status, body });
        assert.equal(body.error, message);
      });
      assert.equal(spent, 0);
      assert.ok(
        added.length === 1 && added[0]!.amount === 0 && added[0]!.status === 'failed',
        JSON.stringify(added),
      );
    });
  }

  it('an upstream that stops answering is 504 after timeoutMs; one that is down is 503 MODEL_OFFLINE', async () => {
    whisper.hangNext();
    const slow = await post(form(speech, { model: 'asr-slow' }));
    assert.equal(slow.status, 504);
    validateSchema('StandardError', await slow.json());
    await doomed.down();
    const down = await post(form(speech, { model: 'asr-doomed' }));
    assert.equal(down.status, 503);
    const body = (await down.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 503, body });
    assert.equal(body.error, 'The model is temporarily offline. Please try again later.');
  });

  it('bills the measured seconds × per_audio_second, once, as a completed asr request', async () => {
    const { added, spent } = await ledgerDuring(rialto, async () => {
      assert.equal(
        (await post(form(LIBRIVOX, { model: 'asr-whisper', timestamps: 'true' }))).status,
        200,
      );
    });
    assert.equal(added.length, 1);
    assert.deepEqual(
      [added[0]!.modelId, added[0]!.modelType, added[0]!.status],
      ['asr-whisper', 'asr', 'completed'],
    );
    assert.equal(added[0]!.amount, toNanos(6.05 * PER_SECOND));
    assert.equal(spent, added[0]!.amount);
  });
});
