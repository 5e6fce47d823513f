// POST /image/generate on the other ImageEngine, the OpenAI images engine (src/engines/openai-compatible/
// openai-image-engine.ts), against the OpenAI-images double: the same service serves it, sizes the answer to
// the request, forwards variants and quality (and, to LocalAI, seed, steps and the negative prompt), bills
// by quality, and maps a content-policy refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { promptColor, startOpenAiImagesServer, type OpenAiImagesServer } from '../support/upstream/openai-images-server.ts';
import { pixelAt, postGenerate, type GenerateAnswer } from './image-generate-support.ts';

const price = (usd: number) => ({ usd, diem: usd });
const row = (low: number, medium: number, high: number) => ({ low: price(low), medium: price(medium), high: price(high) });

describe('POST /image/generate (openai-compatible images engine)', () => {
  let openai: OpenAiImagesServer;
  let localai: OpenAiImagesServer;
  let rialto: TestRialto;

  before(async () => {
    openai = await startOpenAiImagesServer({ flavor: 'openai' });
    localai = await startOpenAiImagesServer({ flavor: 'localai' });
    rialto = await startRialto({
      models: [
        {
          id: 'gpt-image', type: 'image',
          engine: { kind: 'openai-compatible', endpoints: [{ url: openai.url }], model: 'gpt-image-1', imageSizes: ['1024x1024', '1536x1024', '1024x1536'] },
          imageConstraints: { qualities: ['low', 'medium', 'high'], defaultQuality: 'high' },
          pricing: { input: price(0), output: price(0), quality: { '1K': row(0.01, 0.04, 0.17) } },
        },
        { id: 'local-sd', type: 'image', engine: { kind: 'openai-compatible', endpoints: [{ url: localai.url }], model: 'stablediffusion', imageApi: 'localai' } },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await openai?.close();
    await localai?.close();
  });

  it('variants and quality reach the upstream; the images come back at the requested size; billed at the quality\'s price', async () => {
    const earlier = new Set((await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).map((record) => record.id));
    const response = await postGenerate(rialto, { model: 'gpt-image', prompt: 'a paper boat', width: 768, height: 512, variants: 2, quality: 'medium', format: 'png' });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as GenerateAnswer;
    validateResponse({ method: 'POST', path: '/image/generate', status: 200, body });
    assert.equal(response.headers.get('x-venice-model-router'), `openai-compatible/${new URL(openai.url).host}`);
    const [request] = openai.requests.filter((item) => item.path === '/v1/images/generations');
    assert.deepEqual([request?.json?.model, request?.json?.n, request?.json?.quality, request?.json?.size], ['gpt-image-1', 2, 'medium', '1536x1024']);
    assert.equal(body.images.length, 2);
    for (const [index, encoded] of body.images.entries()) {
      const image = Buffer.from(encoded, 'base64');
      const { width, height } = await sharp(image).metadata();
      assert.deepEqual([width, height], [768, 512]);
      // The double paints the top-left quarter inverted; the bottom-right is the prompt's colour.
      const [r, g, b] = promptColor('a paper boat', index);
      const pixel = await pixelAt(image, 700, 480);
      assert.ok(Math.abs(pixel.r - r) <= 2 && Math.abs(pixel.g - g) <= 2 && Math.abs(pixel.b - b) <= 2, JSON.stringify(pixel));
    }
    const added = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter((record) => !earlier.has(record.id));
    assert.deepEqual(added.map((record) => [record.modelId, record.amount]), [['gpt-image', toNanos(0.08)]]);
  });

  it('LocalAI is sent the seed, the steps and the negative prompt', async () => {
    const response = await postGenerate(rialto, { model: 'local-sd', prompt: 'a paper boat', negative_prompt: 'rain', seed: 77, steps: 9, width: 512, height: 512 });
    assert.equal(response.status, 200, await response.clone().text());
    const [request] = localai.requests.filter((item) => item.path === '/v1/images/generations');
    assert.deepEqual([request?.json?.seed, request?.json?.step, request?.json?.prompt], [77, 9, 'a paper boat|rain']);
  });

  it('a content-policy refusal upstream is 422 CONTENT_POLICY_VIOLATION', async () => {
    const response = await postGenerate(rialto, { model: 'gpt-image', prompt: 'something #forbidden' });
    assert.equal(response.status, 422);
    assert.equal(((await response.json()) as { error: string }).error, 'Your prompt violates the content policy of Venice.ai or the model provider');
  });
});
