// rialto-test: sqlite-only
// GET /models/traits for the media types (tts, asr, image): the trait → model id map of each type's configured
// models (src/services/model-registry.ts traits()): the first model of a type is `default` unless one claims it,
// the first model to claim a trait keeps it, a removed model claims nothing, and a background remover (listed
// among the image models) is never the image default. Each map resolves on its route. Bodies follow the swagger.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFile } from 'openai';
import { tinyOnnxPath } from '../fixtures/tiny-onnx.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  startOpenAiImagesServer,
  type OpenAiImagesServer,
} from '../support/upstream/openai-images-server.ts';
import { postGenerate } from './image-generate-support.ts';

interface TraitsAnswer {
  object: string;
  type: string;
  data: Record<string, string>;
}

describe('GET /models/traits for tts, asr and image models', () => {
  let localai: OpenAiImagesServer;
  let rialto: TestRialto;

  const traits = async (type: string): Promise<TraitsAnswer> => {
    const response = await fetch(`${rialto.baseURL}/models/traits?type=${type}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as TraitsAnswer;
    validateResponse({ method: 'GET', path: '/models/traits', status: 200, body });
    return body;
  };

  before(async () => {
    localai = await startOpenAiImagesServer({ flavor: 'localai' });
    const sd = {
      kind: 'openai-compatible',
      endpoints: [{ url: localai.url }],
      model: 'stablediffusion',
      imageApi: 'localai',
    };
    rialto = await startRialto({
      models: [
        { id: 'tts-espeak', type: 'tts', engine: { kind: 'espeak-ng', voices: ['en-us'] } },
        {
          id: 'tts-klatt',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us+klatt'] },
          traits: ['fastest'],
        },
        { id: 'asr-first', type: 'asr', engine: { kind: 'pocketsphinx' } },
        { id: 'asr-claimed', type: 'asr', engine: { kind: 'pocketsphinx' }, traits: ['default'] },
        {
          id: 'bg-remover',
          type: 'image',
          engine: {
            kind: 'onnx-background-removal',
            path: await tinyOnnxPath({ size: 64 }),
            threads: 1,
          },
        },
        { id: 'sd-first', type: 'image', engine: sd },
        {
          id: 'sd-best',
          type: 'image',
          engine: sd,
          traits: ['highest_quality', 'most_uncensored'],
        },
        { id: 'sd-late', type: 'image', engine: sd, traits: ['highest_quality', 'eliza-default'] },
        {
          id: 'sd-removed',
          type: 'image',
          engine: sd,
          traits: ['fastest'],
          deprecation: {
            date: '2020-01-01T00:00:00.000Z',
            removesAt: '2020-06-01T00:00:00.000Z',
            replacementModelId: 'sd-first',
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await localai?.close();
  });

  it('tts: the first model is the default; a configured trait names its model; ?type=tts answers only tts models', async () => {
    const body = await traits('tts');
    assert.deepEqual(body, {
      object: 'list',
      type: 'tts',
      data: { default: 'tts-espeak', fastest: 'tts-klatt' },
    });
    // The trait is a model name on /audio/speech (INVENTORY §2.4: exact id, then trait).
    const spoken = await rialto.client.audio.speech.create({
      model: 'fastest',
      voice: 'en-us+klatt',
      input: 'Hello.',
      response_format: 'wav',
    });
    assert.equal(spoken.headers.get('x-venice-model-id'), 'tts-klatt');
    assert.ok((await spoken.arrayBuffer()).byteLength > 0);
  });

  it('asr: a model that claims `default` is the default even when it is not the first', async () => {
    const body = await traits('asr');
    assert.deepEqual(body, { object: 'list', type: 'asr', data: { default: 'asr-claimed' } });
    // `default` resolves to it on /audio/transcriptions (a sentence audio-round-trip.test.ts shows pocketsphinx hears).
    const input = 'the president said the economy is growing';
    const spoken = await rialto.client.audio.speech.create({
      model: 'tts-klatt',
      voice: 'en-us+klatt',
      input,
      response_format: 'wav',
    });
    const file = await toFile(Buffer.from(await spoken.arrayBuffer()), 'speech.wav');
    const { data, response } = await rialto.client.audio.transcriptions
      .create({ model: 'default', file })
      .withResponse();
    assert.equal(response.headers.get('x-venice-model-id'), 'asr-claimed');
    assert.ok(data.text.includes('president'), data.text);
  });

  it('image: the background remover is not the default; the first claim of a trait wins; a removed model claims nothing', async () => {
    const body = await traits('image');
    assert.deepEqual(body, {
      object: 'list',
      type: 'image',
      data: {
        highest_quality: 'sd-best',
        most_uncensored: 'sd-best',
        'eliza-default': 'sd-late',
        default: 'sd-first',
      },
    });
    // Each trait resolves to its model on /image/generate.
    for (const [trait, model] of Object.entries(body.data)) {
      const response = await postGenerate(rialto, {
        model: trait,
        prompt: 'a paper lantern',
        width: 256,
        height: 256,
        return_binary: true,
        format: 'png',
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(response.headers.get('x-venice-model-id'), model, trait);
    }
  });

  it('the maps of other types know none of these models (text has none configured here)', async () => {
    for (const type of ['text', 'upscale', 'inpaint', 'video', 'embedding', 'music']) {
      const body = await traits(type);
      assert.deepEqual(body, { object: 'list', type, data: {} }, type);
    }
  });
});
