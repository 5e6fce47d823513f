// rialto-test: sqlite-only
// POST /audio/speech on openai-compatible upstreams: the openai client through Rialto to the audio double
// (Kokoro-FastAPI and OpenAI flavours, real espeak-ng audio): every format, streaming, voices discovered or
// configured in /models, refusals, upstream failures (5xx, 429, 503, down, slow, cut mid-stream) and billing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
  EXPECTED,
  FORMATS,
  PER_MILLION_CHARACTERS,
  ledgerDuring,
  ttsModel,
  postSpeech,
} from './upstream-audio-support.ts';

const PATH = '/audio/speech';
const SHORT = 'Hello from Rialto.';
const SENTENCES = Array.from(
  { length: 12 },
  (_, index) => `This is sentence number ${index + 1} of the streamed answer.`,
).join(' ');
const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
];

describe('POST /audio/speech (openai-compatible upstream)', () => {
  let kokoro: OpenAiAudioServer;
  let openai: OpenAiAudioServer;
  let doomed: OpenAiAudioServer;
  let rialto: TestRialto;
  const folder = new AudioFolder();

  const post = (body: Record<string, unknown>): Promise<Response> => postSpeech(rialto, body);

  before(async () => {
    [kokoro, openai, doomed] = await Promise.all([
      startOpenAiAudioServer(),
      startOpenAiAudioServer({ flavor: 'openai' }),
      startOpenAiAudioServer(),
    ]);
    rialto = await startRialto({
      models: [
        ttsModel('tts-kokoro', kokoro.url),
        ttsModel('tts-openai', openai.url, { defaultFormat: 'wav' }, { model: 'tts-1' }),
        ttsModel('tts-listed', kokoro.url, {
          voices: ['am_michael', 'af_heart', 'xx_ghost'],
          supportedFormats: ['mp3', 'wav'],
          defaultVoice: 'af_heart',
        }),
        ttsModel('tts-doomed', doomed.url),
        ttsModel('tts-slow', kokoro.url, {}, { timeoutMs: 1000 }),
        {
          ...ttsModel('tts-failover', kokoro.url),
          engine: {
            kind: 'openai-compatible',
            model: 'kokoro',
            endpoints: [
              { url: kokoro.url, name: 'first' },
              { url: kokoro.url, name: 'second' },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await Promise.all([kokoro?.close(), openai?.close(), doomed?.close()]);
    folder.remove();
  });

  for (const format of FORMATS) {
    it(`openai client: response_format ${format} is ${EXPECTED[format].contentType} audio made upstream, the request sent as OpenAI's`, async () => {
      const sent = kokoro.requests.length;
      const response = await rialto.client.audio.speech.create({
        model: 'tts-kokoro',
        voice: 'af_heart',
        input: SHORT,
        response_format: format,
        speed: 1.25,
      });
      assert.equal(response.headers.get('content-type'), EXPECTED[format].contentType);
      assert.equal(response.headers.get('x-venice-model-id'), 'tts-kokoro');
      assert.equal(
        response.headers.get('x-venice-model-router'),
        `openai-compatible/${new URL(kokoro.url).host}`,
      );
      const audio = Buffer.from(await response.arrayBuffer());
      assert.ok(
        EXPECTED[format].magic(audio),
        `magic bytes of ${format}: ${audio.subarray(0, 16).toString('hex')}`,
      );
      const { codec, seconds } = folder.inspect(audio, format);
      assert.equal(codec, EXPECTED[format].codec);
      assert.ok(seconds > 0.3, `${seconds} s`);
      assert.deepEqual(
        kokoro.requests.slice(sent).map((request) => request.json),
        [
          {
            model: 'kokoro',
            input: SHORT,
            voice: 'af_heart',
            response_format: format,
            speed: 1.25,
          },
        ],
      );
    });
  }

  it("passes the upstream's bytes on unchanged", async () => {
    const body = {
      model: 'kokoro',
      input: SHORT,
      voice: 'bm_george',
      response_format: 'wav',
      speed: 1,
    };
    const direct = Buffer.from(
      await (
        await fetch(`${kokoro.url}/audio/speech`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).arrayBuffer(),
    );
    const relayed = await post({
      model: 'tts-kokoro',
      input: SHORT,
      voice: 'bm_george',
      response_format: 'wav',
    });
    assert.equal(relayed.status, 200);
    assert.ok(Buffer.from(await relayed.arrayBuffer()).equals(direct));
  });

  it('streaming: a chunked body arriving in several chunks, the same mp3 as without streaming', async () => {
    const response = await post({
      model: 'tts-kokoro',
      voice: 'am_adam',
      input: SENTENCES,
      response_format: 'mp3',
      streaming: true,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    const chunks: Buffer[] = [];
    for await (const chunk of response.body!) chunks.push(Buffer.from(chunk));
    assert.ok(chunks.length > 1, `${chunks.length} chunk(s)`);
    const whole = await post({
      model: 'tts-kokoro',
      voice: 'am_adam',
      input: SENTENCES,
      response_format: 'mp3',
    });
    assert.ok(Buffer.concat(chunks).equals(Buffer.from(await whole.arrayBuffer())));
    assert.ok(folder.inspect(Buffer.concat(chunks), 'mp3').seconds > 12);
  });

  it("GET /models?type=tts: voices from Kokoro-FastAPI's /audio/voices, OpenAI's by default, or the configured ones; valid per the swagger", async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=tts`);
    const body = (await response.json()) as {
      data: {
        id: string;
        model_spec: {
          voices: string[];
          supported_formats: string[];
          default_format: string;
          pricing: unknown;
        };
      }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const spec = (id: string) => body.data.find((model) => model.id === id)!.model_spec;
    assert.deepEqual(spec('tts-kokoro').voices, kokoro.voices);
    assert.deepEqual(spec('tts-kokoro').supported_formats, FORMATS);
    assert.deepEqual(spec('tts-kokoro').pricing, {
      input: { usd: PER_MILLION_CHARACTERS, diem: PER_MILLION_CHARACTERS },
    });
    assert.deepEqual(spec('tts-openai').voices, OPENAI_VOICES);
    assert.equal(spec('tts-openai').default_format, 'wav');
    assert.deepEqual(spec('tts-listed').voices, ['am_michael', 'af_heart', 'xx_ghost']);
    assert.deepEqual(spec('tts-listed').supported_formats, ['mp3', 'wav']);
  });

  it("defaults: the model's default voice and format reach the upstream (OpenAI flavour: alloy, wav)", async () => {
    const sent = openai.requests.length;
    const response = await post({ model: 'tts-openai', input: SHORT });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    assert.ok(EXPECTED.wav.magic(Buffer.from(await response.arrayBuffer())));
    assert.deepEqual(
      openai.requests.slice(sent).map((request) => request.json),
      [{ model: 'tts-1', input: SHORT, voice: 'alloy', response_format: 'wav', speed: 1 }],
    );
    assert.equal((await post({ model: 'tts-listed', input: SHORT })).status, 200);
    assert.equal(kokoro.requests.at(-1)?.json?.voice, 'af_heart');
  });

  it('400 for a voice or format the model does not offer, before the upstream is asked and with nothing charged', async () => {
    const sent = kokoro.requests.length;
    const { added, spent } = await ledgerDuring(rialto, async () => {
      for (const [body, field] of [
        [{ model: 'tts-kokoro', voice: 'alloyy' }, 'voice'],
        [{ model: 'tts-listed', voice: 'af_bella' }, 'voice'],
        [{ model: 'tts-listed', response_format: 'opus' }, 'response_format'],
      ] as const) {
        const response = await post({ input: SHORT, ...body });
        assert.equal(response.status, 400);
        const error = (await response.json()) as {
          error: string;
          details: Record<string, unknown>;
        };
        validateResponse({ method: 'POST', path: PATH, status: 400, body: error });
        assert.deepEqual(
          Object.keys(error.details).filter((key) => key !== '_errors'),
          [field],
        );
      }
      await assert.rejects(
        rialto.client.audio.speech.create({ model: 'tts-kokoro', voice: 'nobody', input: SHORT }),
        (thrown: unknown) => (thrown as { status?: number }).status === 400,
      );
    });
    assert.equal(kokoro.requests.length, sent);
    assert.deepEqual([added.length, spent], [0, 0]);
  });

  it("a configured voice the upstream refuses is 400 with Venice's message (the upstream's goes to the log only), nothing charged", async () => {
    const { added, spent } = await ledgerDuring(rialto, async () => {
      const response = await post({ model: 'tts-listed', voice: 'xx_ghost', input: SHORT });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: string };
      validateResponse({ method: 'POST', path: PATH, status: 400, body });
      assert.equal(body.error, 'Invalid request parameters');
    });
    assert.equal(spent, 0);
    assert.ok(added.every((record) => record.amount === 0 && record.status !== 'completed'));
  });

  const failures: [string, { status: number; body: unknown }, number, string][] = [
    ['500', SERVER_ERROR, 500, 'Inference processing failed'],
    [
      '503',
      { status: 503, body: { detail: 'Service Unavailable' } },
      503,
      'The model is at capacity. Please try again later.',
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
    it(`upstream ${name} is ${status} "${message}", and nothing is charged`, async () => {
      kokoro.failNext(failure);
      const { added, spent } = await ledgerDuring(rialto, async () => {
        const response = await post({ model: 'tts-kokoro', voice: 'af_heart', input: SHORT });
        assert.equal(response.status, status);
        const body = (await response.json()) as { error: string };
        validateResponse({ method: 'POST', path: PATH, status, body });
        assert.equal(body.error, message);
      });
      assert.equal(spent, 0);
      assert.ok(
        added.every((record) => record.amount === 0 && record.status === 'failed'),
        JSON.stringify(added),
      );
    });
  }

  it("a failing endpoint (500) is left for the model's other endpoint", async () => {
    kokoro.failNext(SERVER_ERROR);
    const sent = kokoro.requests.length;
    const response = await post({ model: 'tts-failover', voice: 'af_heart', input: SHORT });
    assert.equal(response.status, 200);
    assert.ok(EXPECTED.mp3.magic(Buffer.from(await response.arrayBuffer())));
    assert.equal(kokoro.requests.length - sent, 2);
    assert.match(
      response.headers.get('x-venice-model-router') ?? '',
      /^openai-compatible\/(first|second)$/,
    );
  });

  it('an upstream cut off after its first chunk: no audio without streaming (500), a short stream with it; nothing charged', async () => {
    const { added, spent } = await ledgerDuring(rialto, async () => {
      kokoro.breakNext();
      const whole = await post({
        model: 'tts-kokoro',
        voice: 'af_heart',
        input: SENTENCES,
        response_format: 'wav',
      });
      assert.equal(whole.status, 500);
      validateResponse({ method: 'POST', path: PATH, status: 500, body: await whole.json() });
      kokoro.breakNext();
      const streamed = await post({
        model: 'tts-kokoro',
        voice: 'af_heart',
        input: SENTENCES,
        response_format: 'wav',
        streaming: true,
      });
      assert.equal(streamed.status, 200);
      await assert.rejects(streamed.arrayBuffer());
    });
    assert.equal(spent, 0);
    assert.ok(
      added.length >= 1 &&
        added.every((record) => record.amount === 0 && record.status === 'failed'),
      JSON.stringify(added),
    );
  });

  it('an upstream that stops answering is 504 after timeoutMs', async () => {
    kokoro.hangNext();
    const response = await post({ model: 'tts-slow', voice: 'af_heart', input: SHORT });
    assert.equal(response.status, 504);
    const body: unknown = await response.json();
    validateSchema('StandardError', body);
    assert.deepEqual(Object.keys(body as object), ['error']);
  });

  it('an upstream that is down is 503 MODEL_OFFLINE', async () => {
    await doomed.down();
    const response = await post({ model: 'tts-doomed', voice: 'af_heart', input: SHORT });
    assert.equal(response.status, 503);
    const body = (await response.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 503, body });
    assert.equal(body.error, 'The model is temporarily offline. Please try again later.');
  });

  it('bills input characters × the per-1M-character price, once, as a completed tts request', async () => {
    const { added, spent } = await ledgerDuring(rialto, async () => {
      const response = await rialto.client.audio.speech.create({
        model: 'tts-kokoro',
        voice: 'af_heart',
        input: SENTENCES,
        response_format: 'opus',
      });
      assert.ok((await response.arrayBuffer()).byteLength > 0);
    });
    assert.equal(added.length, 1);
    assert.deepEqual(
      [added[0]!.modelId, added[0]!.modelType, added[0]!.status],
      ['tts-kokoro', 'tts', 'completed'],
    );
    assert.equal(
      added[0]!.amount,
      toNanos((SENTENCES.length * PER_MILLION_CHARACTERS) / 1_000_000),
    );
    assert.equal(spent, added[0]!.amount);
  });
});
