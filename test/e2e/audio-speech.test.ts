// rialto-test: sqlite-only
// POST /audio/speech on the real espeak-ng engine (Debian's espeak-ng and ffmpeg): every format through
// the openai client, checked by magic bytes and by ffprobe/ffmpeg (codec, decoded length), streaming,
// validation, per-character billing and the tts model listing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from 'openai';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  AudioFolder,
  EXPECTED,
  FORMATS,
  type Format,
  postSpeech,
} from './upstream-audio-support.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';

const PATH = '/audio/speech';
/** USD (and DIEM) per 1M characters. */
const PRICE = 12;
const SHORT = 'Hello from Rialto.';
const LONG =
  'Hello from Rialto. This sentence makes the audio a good deal longer than the first one. And here is a third sentence, for good measure.';
const SENTENCES = Array.from(
  { length: 16 },
  (_, index) =>
    `This is sentence number ${index + 1} of the streamed answer, which goes on a little.`,
).join(' ');

describe('POST /audio/speech (espeak-ng)', () => {
  let rialto: TestRialto;
  let audioFiles: AudioFolder;

  const post = (body: unknown, key = rialto.inferenceKey): Promise<Response> =>
    postSpeech(rialto, body, key);

  const speak = async (
    input: string,
    format: Format,
    extra: Record<string, unknown> = {},
  ): Promise<Buffer> => {
    const response = await post({
      model: 'tts-espeak',
      voice: 'en-us',
      input,
      response_format: format,
      ...extra,
    });
    assert.equal(response.status, 200, await response.clone().text());
    return Buffer.from(await response.arrayBuffer());
  };

  before(async () => {
    audioFiles = new AudioFolder();
    rialto = await startRialto({
      models: [
        {
          id: 'tts-espeak',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us', 'en-gb', 'de'], concurrency: 1 },
          defaultVoice: 'en-gb',
          pricing: { input: { usd: PRICE, diem: PRICE }, output: { usd: 0, diem: 0 } },
        },
        { id: 'tts-espeak-wav', type: 'tts', engine: { kind: 'espeak-ng' }, defaultFormat: 'wav' },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    audioFiles.remove();
  });

  for (const format of FORMATS) {
    it(`openai client: response_format ${format} is ${EXPECTED[format].contentType} audio, longer for longer input`, async () => {
      const short = await rialto.client.audio.speech.create({
        model: 'tts-espeak',
        voice: 'en-us',
        input: SHORT,
        response_format: format,
      });
      assert.equal(short.headers.get('content-type'), EXPECTED[format].contentType);
      assert.equal(short.headers.get('x-venice-model-id'), 'tts-espeak');
      assert.equal(short.headers.get('x-venice-model-router'), 'espeak-ng');
      assert.equal(short.headers.get('content-encoding'), null);
      const shortAudio = Buffer.from(await short.arrayBuffer());
      const long = await rialto.client.audio.speech.create({
        model: 'tts-espeak',
        voice: 'en-us',
        input: LONG,
        response_format: format,
      });
      const longAudio = Buffer.from(await long.arrayBuffer());
      for (const audio of [shortAudio, longAudio])
        assert.ok(
          EXPECTED[format].magic(audio),
          `magic bytes of ${format}: ${audio.subarray(0, 16).toString('hex')}`,
        );
      const shortInfo = audioFiles.inspect(shortAudio, format);
      const longInfo = audioFiles.inspect(longAudio, format);
      assert.equal(shortInfo.codec, EXPECTED[format].codec);
      assert.equal(longInfo.codec, EXPECTED[format].codec);
      assert.ok(shortInfo.seconds > 0.3, `short: ${shortInfo.seconds} s`);
      assert.ok(
        longInfo.seconds > shortInfo.seconds * 3,
        `long ${longInfo.seconds} s vs short ${shortInfo.seconds} s`,
      );
    });
  }

  it('streaming: a chunked body (no SSE) arriving in several chunks, the same mp3 as without streaming', async () => {
    const response = await post({
      model: 'tts-espeak',
      voice: 'en-us',
      input: SENTENCES,
      response_format: 'mp3',
      streaming: true,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    assert.equal(response.headers.get('content-length'), null);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body!) chunks.push(Buffer.from(chunk));
    assert.ok(chunks.length > 1, `${chunks.length} chunk(s)`);
    const streamed = Buffer.concat(chunks);
    assert.ok(EXPECTED.mp3.magic(streamed));
    const whole = await speak(SENTENCES, 'mp3');
    assert.ok(
      streamed.equals(whole),
      `streamed ${streamed.length} bytes, whole ${whole.length} bytes`,
    );
    const { codec, seconds } = audioFiles.inspect(streamed, 'mp3');
    assert.equal(codec, 'mp3');
    assert.ok(seconds > 16, `${seconds} s for sixteen sentences`);
  });

  for (const format of ['opus', 'flac', 'wav'] as const) {
    it(`streaming ${format}: one valid ${format} stream over the whole input`, async () => {
      const response = await post({
        model: 'tts-espeak',
        voice: 'en-us',
        input: SENTENCES,
        response_format: format,
        streaming: true,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), EXPECTED[format].contentType);
      const streamed = Buffer.from(await response.arrayBuffer());
      assert.ok(EXPECTED[format].magic(streamed));
      const streamedInfo = audioFiles.inspect(streamed, format);
      const wholeInfo = audioFiles.inspect(await speak(SENTENCES, format), format);
      assert.equal(streamedInfo.codec, EXPECTED[format].codec);
      assert.ok(streamedInfo.seconds > 16, `${streamedInfo.seconds} s`);
      assert.equal(streamedInfo.seconds, wholeInfo.seconds);
    });
  }

  it("speed: 2 is shorter than 1, 0.25 (below espeak-ng's slowest rate) longer than 0.5", async () => {
    const seconds = async (speed: number): Promise<number> =>
      audioFiles.inspect(await speak(LONG, 'wav', { speed }), 'wav').seconds;
    const [quarter, half, normal, double] = [
      await seconds(0.25),
      await seconds(0.5),
      await seconds(1),
      await seconds(2),
    ];
    assert.ok(double < normal * 0.7, `speed 2: ${double} s, speed 1: ${normal} s`);
    assert.ok(half > normal * 1.5, `speed 0.5: ${half} s, speed 1: ${normal} s`);
    assert.ok(quarter > half * 1.5, `speed 0.25: ${quarter} s, speed 0.5: ${half} s`);
  });

  it("defaults: no model → the first tts model, its defaultVoice; no format → the model's default_format", async () => {
    const first = await post({ input: SHORT });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-venice-model-id'), 'tts-espeak');
    assert.equal(first.headers.get('content-type'), 'audio/mpeg');
    const wav = await post({ model: 'tts-espeak-wav', input: SHORT });
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    assert.equal(
      audioFiles.inspect(Buffer.from(await wav.arrayBuffer()), 'wav').codec,
      'pcm_s16le',
    );
    // The default voice is a real choice: en-gb and en-us speak the same words differently.
    const british = Buffer.from(await first.arrayBuffer());
    assert.ok(british.equals(await speak(SHORT, 'mp3', { voice: 'en-gb' })));
    assert.ok(!british.equals(await speak(SHORT, 'mp3', { voice: 'en-us' })));
  });

  it('prompt, temperature, top_p and language are accepted and ignored', async () => {
    const plain = await speak(SHORT, 'wav');
    const tuned = await speak(SHORT, 'wav', {
      prompt: 'Very happy.',
      temperature: 0.9,
      top_p: 1,
      language: 'English',
    });
    assert.ok(tuned.equals(plain));
  });

  const refused: [string, Record<string, unknown>, string, string][] = [
    [
      'a voice the model does not offer',
      { input: SHORT, voice: 'af_sky' },
      'voice',
      'Voice "af_sky" is not available for model tts-espeak',
    ],
    [
      'an installed voice the model does not offer',
      { input: SHORT, voice: 'fr' },
      'voice',
      'Voice "fr" is not available',
    ],
    [
      'a format outside the enum',
      { input: SHORT, response_format: 'ogg' },
      'response_format',
      'Invalid option',
    ],
    ['empty input', { input: '' }, 'input', 'Too small'],
    ['4097 characters', { input: 'a'.repeat(4097) }, 'input', 'Too big'],
    ['no input', { voice: 'en-us' }, 'input', 'Required'],
    ['speed above 4', { input: SHORT, speed: 4.5 }, 'speed', 'Too big'],
    [
      'a prompt over 500 characters',
      { input: SHORT, prompt: 'p'.repeat(501) },
      'prompt',
      'Too big',
    ],
  ];
  for (const [name, body, field, message] of refused) {
    it(`400 for ${name}, with the Venice validation body`, async () => {
      const response = await post({ model: 'tts-espeak', ...body });
      assert.equal(response.status, 400);
      const error = (await response.json()) as {
        error: string;
        details: Record<string, { _errors: string[] }>;
        issues: { path: string[] }[];
      };
      validateResponse({ method: 'POST', path: PATH, status: 400, body: error });
      assert.equal(error.error, 'Invalid request parameters');
      assert.ok(
        error.details[field]?._errors[0]?.startsWith(message),
        JSON.stringify(error.details),
      );
      assert.deepEqual(
        error.issues.map((issue) => issue.path),
        [[field]],
      );
    });
  }

  it('400 for an unknown key; the openai client sees a BadRequestError', async () => {
    const response = await post({ model: 'tts-espeak', input: SHORT, stream_format: 'sse' });
    assert.equal(response.status, 400);
    const error = (await response.json()) as { error: string; details: { _errors: string[] } };
    validateResponse({ method: 'POST', path: PATH, status: 400, body: error });
    assert.deepEqual(error.details._errors, ["Unrecognized key(s) in object: 'stream_format'"]);
    await assert.rejects(
      rialto.client.audio.speech.create({ model: 'tts-espeak', voice: 'nobody', input: SHORT }),
      (thrown: unknown) => thrown instanceof BadRequestError && thrown.status === 400,
    );
  });

  it('exactly 4096 characters is accepted', async () => {
    const response = await post({
      model: 'tts-espeak',
      voice: 'en-us',
      input: 'Yes. '.repeat(820).slice(0, 4096),
      response_format: 'pcm',
    });
    assert.equal(response.status, 200);
    assert.ok((await response.arrayBuffer()).byteLength > 0);
  });

  it('401 without a key, 404 for an unknown model', async () => {
    const anonymous = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: SHORT }),
    });
    assert.equal(anonymous.status, 401);
    const unknown = await post({ model: 'tts-nothing', input: SHORT });
    assert.equal(unknown.status, 404);
    // As on chat and embeddings (test/e2e/errors-models.test.ts): the swagger documents no 404 here.
    const body = (await unknown.json()) as { error: string };
    validateSchema('StandardError', body);
    assert.equal(body.error, 'Specified model not found');
    validateResponse({ method: 'POST', path: PATH, status: 401, body: await anonymous.json() });
  });

  it('bills input characters × the per-1M-character price, once, as a completed tts request', async () => {
    const listRecords = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
    const earlier = new Set((await listRecords()).map((record) => record.id));
    await speak(LONG, 'mp3');
    const added = (await listRecords()).filter((record) => !earlier.has(record.id));
    assert.equal(added.length, 1);
    const record = added[0]!;
    assert.equal(record.modelId, 'tts-espeak');
    assert.equal(record.modelType, 'tts');
    assert.equal(record.status, 'completed');
    assert.equal(record.amount, toNanos((LONG.length * PRICE) / 1_000_000));
    assert.ok(record.amount > 0);
  });

  it("a client that leaves mid-stream is not charged, and the engine's one slot is free again", async () => {
    const left = new AbortController();
    const input = Array.from(
      { length: 40 },
      (_, index) => `Sentence ${index} of a long answer that nobody will hear to the end.`,
    ).join(' ');
    const response = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      signal: left.signal,
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'tts-espeak',
        voice: 'en-us',
        input,
        response_format: 'wav',
        streaming: true,
      }),
    });
    assert.equal(response.status, 200);
    await response.body!.getReader().read();
    left.abort();
    let record;
    for (let turn = 0; turn < 500 && record === undefined; turn++) {
      record = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).find(
        (item) => item.status === 'client_disconnected',
      );
      if (record === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(record !== undefined, 'the disconnect is recorded');
    assert.equal(record.modelId, 'tts-espeak');
    assert.equal(record.amount, 0);
    // tts-espeak has concurrency 1: this waits for ever if the abandoned synthesis kept its slot.
    assert.ok((await speak(SHORT, 'wav')).length > 0);
  });

  it('a refused request (bad voice) charges nothing', async () => {
    const listRecords = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
    const before = (await listRecords()).length;
    assert.equal((await post({ model: 'tts-espeak', input: SHORT, voice: 'xx' })).status, 400);
    assert.equal((await listRecords()).length, before);
  });

  it('402 when the account cannot pay for the characters', async () => {
    const poor = await startRialto(
      {
        models: [
          {
            id: 'tts-dear',
            type: 'tts',
            engine: { kind: 'espeak-ng', voices: ['en-us'] },
            pricing: { input: { usd: 1_000_000, diem: 1_000_000 }, output: { usd: 0, diem: 0 } },
          },
        ],
      },
      { balanceUsd: 1 },
    );
    try {
      const response = await fetch(`${poor.baseURL}${PATH}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${poor.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ input: SHORT }),
      });
      assert.equal(response.status, 402);
      const body = (await response.json()) as { error: string };
      validateResponse({ method: 'POST', path: PATH, status: 402, body });
    } finally {
      await poor.close();
    }
  });

  it('GET /models?type=tts lists both models with voices, formats, default format and per-character price, as the swagger says', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=tts`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      data: { id: string; type: string; model_spec: Record<string, unknown> }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    assert.deepEqual(
      body.data.map((model) => [model.id, model.type]),
      [
        ['tts-espeak', 'tts'],
        ['tts-espeak-wav', 'tts'],
      ],
    );
    const [priced, wav] = body.data;
    assert.deepEqual(priced?.model_spec.voices, ['en-us', 'en-gb', 'de']);
    assert.deepEqual(priced?.model_spec.supported_formats, FORMATS);
    assert.equal(priced?.model_spec.default_format, 'mp3');
    assert.deepEqual(priced?.model_spec.pricing, { input: { usd: PRICE, diem: PRICE } });
    assert.equal(wav?.model_spec.default_format, 'wav');
    const installed = wav?.model_spec.voices;
    assert.ok(
      Array.isArray(installed) &&
        installed.includes('en-us') &&
        installed.includes('de') &&
        installed.length > 50,
      JSON.stringify(installed),
    );
  });
});
