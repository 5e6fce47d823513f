// rialto-test: sqlite-only
// POST /audio/speech on the sherpa-onnx engine with a tiny random-weight Kokoro v1.0 (test/fixtures/tiny-kokoro.ts)
// and Debian's espeak-ng-data: every format through the openai client (magic bytes, ffprobe's codec, decoded
// length), the `tts-kokoro` alias, streaming, speed, Kokoro's voices in GET /models, errors and MODEL_AT_CAPACITY,
// bodies checked against the swagger. The audio is noise from random weights: nothing here listens for words.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TINY_KOKORO_VOICES, tinyKokoroFolder } from '../fixtures/tiny-kokoro.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { AudioFolder, EXPECTED, FORMATS, postSpeech } from './upstream-audio-support.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

const PATH = '/audio/speech';
const SHORT = 'Hello world.';
const LONG = 'Hello world. Hello Rialto, hello world. Zebras quickly jumped over the lazy world.';
const SENTENCES = Array.from(
  { length: 12 },
  (_, index) => `Sentence ${index + 1}: hello world.`,
).join(' ');

describe('POST /audio/speech (sherpa-onnx, tiny Kokoro)', () => {
  let rialto: TestRialto;
  let audioFiles: AudioFolder;

  const post = (body: unknown): Promise<Response> => postSpeech(rialto, body);

  const speak = async (body: Record<string, unknown>): Promise<Buffer> => {
    const response = await post({ model: 'kokoro', ...body });
    assert.equal(response.status, 200, await response.clone().text());
    return Buffer.from(await response.arrayBuffer());
  };

  before(async () => {
    audioFiles = new AudioFolder();
    const kokoro = await tinyKokoroFolder();
    rialto = await startRialto({
      models: [
        {
          id: 'kokoro',
          type: 'tts',
          aliases: ['tts-kokoro'],
          engine: {
            kind: 'sherpa-onnx',
            family: 'kokoro',
            path: kokoro,
            threads: 1,
            maxConcurrency: 2,
          },
          defaultVoice: 'af_heart',
        },
        {
          id: 'kokoro-one',
          type: 'tts',
          engine: {
            kind: 'sherpa-onnx',
            family: 'kokoro',
            path: kokoro,
            threads: 1,
            maxConcurrency: 1,
            maxQueue: 0,
          },
        },
        { id: 'tts-espeak', type: 'tts', engine: { kind: 'espeak-ng', voices: ['en-us'] } },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    audioFiles.remove();
  });

  for (const format of FORMATS) {
    it(`openai client: ${format} is ${EXPECTED[format].contentType} of the expected codec, served by sherpa-onnx`, async () => {
      const response = await rialto.client.audio.speech.create({
        model: 'tts-kokoro',
        voice: 'af_bella',
        input: LONG,
        response_format: format,
      });
      assert.equal(response.headers.get('content-type'), EXPECTED[format].contentType);
      assert.equal(response.headers.get('x-venice-model-router'), 'sherpa-onnx');
      const audio = Buffer.from(await response.arrayBuffer());
      assert.ok(
        EXPECTED[format].magic(audio),
        `magic of ${format}: ${audio.subarray(0, 16).toString('hex')}`,
      );
      const { codec, seconds } = audioFiles.inspect(audio, format);
      assert.equal(codec, EXPECTED[format].codec);
      // LONG is ~70 phoneme tokens: 600 samples each at 24 kHz is ~1.7 s (lossy codecs pad a little).
      assert.ok(seconds > 1 && seconds < 4, `${seconds} s`);
    });
  }

  it('longer input is longer audio', async () => {
    const short = audioFiles.inspect(
      await speak({ input: SHORT, response_format: 'wav' }),
      'wav',
    ).seconds;
    const long = audioFiles.inspect(
      await speak({ input: LONG, response_format: 'wav' }),
      'wav',
    ).seconds;
    assert.ok(short > 0.2 && long > short * 3, `long ${long} s, short ${short} s`);
  });

  it('streaming: a chunked body in several chunks, the same bytes as without streaming', async () => {
    const response = await post({
      model: 'kokoro',
      input: SENTENCES,
      response_format: 'wav',
      streaming: true,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    const chunks: Buffer[] = [];
    for await (const chunk of response.body ?? []) chunks.push(Buffer.from(chunk));
    assert.ok(chunks.length > 1, `${chunks.length} chunk(s)`);
    const whole = await speak({ input: SENTENCES, response_format: 'wav' });
    assert.ok(Buffer.concat(chunks).equals(whole));
  });

  it('speed 2 is half as long as speed 1 (Kokoro scales its durations), 0.5 twice as long', async () => {
    const seconds = async (speed: number) =>
      audioFiles.inspect(await speak({ input: LONG, response_format: 'wav', speed }), 'wav')
        .seconds;
    const [half, normal, double] = [await seconds(0.5), await seconds(1), await seconds(2)];
    assert.ok(Math.abs(double - normal / 2) < 0.1, `speed 2: ${double} s, speed 1: ${normal} s`);
    assert.ok(Math.abs(half - normal * 2) < 0.2, `speed 0.5: ${half} s, speed 1: ${normal} s`);
  });

  it("the default voice is the model's defaultVoice; each voice is its own speaker", async () => {
    const byDefault = await speak({ input: SHORT, response_format: 'pcm' });
    assert.ok(
      byDefault.equals(await speak({ input: SHORT, response_format: 'pcm', voice: 'af_heart' })),
    );
    assert.ok(
      !byDefault.equals(await speak({ input: SHORT, response_format: 'pcm', voice: 'af_alloy' })),
    );
  });

  it('GET /models?type=tts lists Kokoro speaker names as model_spec.voices, as the swagger says', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=tts`);
    const body = (await response.json()) as {
      data: { id: string; model_spec: Record<string, unknown> }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const kokoro = body.data.find((model) => model.id === 'kokoro');
    assert.deepEqual(kokoro?.model_spec.voices, TINY_KOKORO_VOICES);
    assert.deepEqual(kokoro?.model_spec.supported_formats, FORMATS);
  });

  it("400 for a voice the model does not offer (espeak-ng's en-us), with the Venice body", async () => {
    const response = await post({ model: 'kokoro', input: SHORT, voice: 'en-us' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 400, body });
    assert.match(
      body.error,
      /Voice "en-us" is not available for model kokoro|Invalid request parameters/,
    );
  });

  it('503 MODEL_AT_CAPACITY beyond maxConcurrency + maxQueue; the turn is free again after the stream', async () => {
    const first = await post({
      model: 'kokoro-one',
      input: 'Hello world. '.repeat(300),
      response_format: 'pcm',
      streaming: true,
    });
    assert.equal(first.status, 200);
    const reader = first.body?.getReader();
    await reader?.read();
    const second = await post({ model: 'kokoro-one', input: SHORT });
    assert.equal(second.status, 503);
    const body = (await second.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 503, body });
    assert.equal(body.error, 'The model is at capacity. Please try again later.');
    while (!(await reader?.read())?.done) {}
    assert.equal((await post({ model: 'kokoro-one', input: SHORT })).status, 200);
  });

  it('espeak-ng still serves beside it', async () => {
    const response = await post({ model: 'tts-espeak', input: SHORT, response_format: 'wav' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-model-router'), 'espeak-ng');
  });
});
