// OpenAiImageEngine against the OpenAI-images test double (a real HTTP server making real images): what each
// dialect sends, base64 and URL answers, edits reaching the upstream, failover, failures and aborts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { modelConfigSchema, type OpenAiCompatibleEngineConfig } from '../../config.ts';
import type { ImageGenerateRequest } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { OpenAiImageEngine } from './openai-image-engine.ts';
import {
  promptColor,
  startOpenAiImagesServer,
  type OpenAiImagesServer,
} from '../../../test/support/upstream/openai-images-server.ts';

function engineConfig(
  endpoints: string[],
  extra: Record<string, unknown> = {},
): OpenAiCompatibleEngineConfig {
  const model = modelConfigSchema.parse({
    id: 'm',
    type: 'image',
    engine: { kind: 'openai-compatible', endpoints: endpoints.map((url) => ({ url })), ...extra },
  });
  if (model.engine.kind !== 'openai-compatible') throw new Error('unreachable');
  return model.engine;
}

const call = () =>
  ({ signal: new AbortController().signal }) as { signal: AbortSignal; servedBy?: string };

const GENERATE: ImageGenerateRequest = {
  model: 'dall-e-2',
  prompt: 'a lighthouse at dusk',
  width: 768,
  height: 512,
  count: 2,
  steps: 20,
  cfgScale: 7,
  seed: 42,
};

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 3;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

async function solid(color: [number, number, number], width = 320, height = 240): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: color[0], g: color[1], b: color[2] } },
  })
    .png()
    .toBuffer();
}

describe('OpenAiImageEngine', () => {
  let openai: OpenAiImagesServer;
  let localai: OpenAiImagesServer;
  before(async () => {
    openai = await startOpenAiImagesServer({ models: ['dall-e-2', 'gpt-image-1'] });
    localai = await startOpenAiImagesServer({ flavor: 'localai', models: ['sd'] });
  });
  after(async () => {
    await openai.close();
    await localai.close();
  });

  it('generate (openai): only OpenAI fields, b64_json, the accepted size closest to the wanted one; n images', async () => {
    const engine = new OpenAiImageEngine(
      engineConfig([openai.url], { imageSizes: ['256x256', '512x512', '1024x1024'] }),
    );
    try {
      const context = call();
      const result = await engine.generate(GENERATE, context);
      assert.equal(result.images.length, 2);
      assert.equal(result.seed, undefined);
      assert.equal(context.servedBy, `openai-compatible/${new URL(openai.url).host}`);
      const sent = openai.requests.at(-1)!;
      assert.deepEqual(sent.json, {
        model: 'dall-e-2',
        prompt: GENERATE.prompt,
        size: '512x512',
        response_format: 'b64_json',
        n: 2,
      });
      for (const [index, image] of result.images.entries()) {
        const metadata = await sharp(image).metadata();
        assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 512, 512]);
        assert.deepEqual(await pixel(image, 400, 400), promptColor(GENERATE.prompt, index));
      }
    } finally {
      await engine.close();
    }
  });

  it('generate (openai): GPT image models get no response_format (OpenAI refuses it) and a quality when given', async () => {
    const engine = new OpenAiImageEngine(engineConfig([openai.url]));
    try {
      const result = await engine.generate(
        { ...GENERATE, model: 'gpt-image-1', width: 1024, height: 1024, count: 1, quality: 'low' },
        call(),
      );
      assert.deepEqual(openai.requests.at(-1)!.json, {
        model: 'gpt-image-1',
        prompt: GENERATE.prompt,
        size: '1024x1024',
        quality: 'low',
        n: 1,
      });
      assert.deepEqual(await pixel(result.images[0]!, 1000, 1000), promptColor(GENERATE.prompt, 0));
    } finally {
      await engine.close();
    }
  });

  it('generate (localai): seed, step and the negative prompt after "|"; the seed is reported back', async () => {
    const engine = new OpenAiImageEngine(engineConfig([localai.url], { imageApi: 'localai' }));
    try {
      const result = await engine.generate(
        { ...GENERATE, model: 'sd', count: 1, negativePrompt: 'blurry' },
        call(),
      );
      assert.deepEqual(localai.requests.at(-1)!.json, {
        model: 'sd',
        prompt: `${GENERATE.prompt}|blurry`,
        size: '768x512',
        response_format: 'b64_json',
        n: 1,
        seed: 42,
        step: 20,
      });
      assert.equal(result.seed, 42);
      assert.equal((await sharp(result.images[0]!).metadata()).width, 768);
    } finally {
      await engine.close();
    }
  });

  it('downloads images that the upstream answers by URL, from the endpoint that answered', async () => {
    const urls = await startOpenAiImagesServer({ flavor: 'localai', urlsOnly: true });
    const engine = new OpenAiImageEngine(engineConfig([urls.url], { imageApi: 'localai' }));
    try {
      const result = await engine.generate({ ...GENERATE, model: 'sd', count: 1 }, call());
      assert.deepEqual(
        await pixel(result.images[0]!, 700, 500),
        promptColor(`${GENERATE.prompt}`, 0),
      );
    } finally {
      await engine.close();
      await urls.close();
    }
  });

  it('edit (openai): one image as `image`, several as `image[]`, each file as sent; the result is derived from them', async () => {
    const engine = new OpenAiImageEngine(engineConfig([openai.url]));
    try {
      const red = await solid([255, 0, 0]);
      const blue = await solid([0, 0, 255]);
      const one = await engine.edit(
        {
          model: 'dall-e-2',
          prompt: 'make it pop',
          images: [red],
          width: 512,
          height: 512,
          seed: 7,
        },
        call(),
      );
      const single = openai.requests.at(-1)!;
      assert.equal(single.path, '/v1/images/edits');
      assert.deepEqual(single.fields, {
        model: ['dall-e-2'],
        prompt: ['make it pop'],
        size: ['512x512'],
        response_format: ['b64_json'],
        n: ['1'],
      });
      assert.deepEqual(
        single.files!.map((file) => [file.field, file.contentType]),
        [['image', 'image/png']],
      );
      assert.ok(single.files![0]!.bytes.equals(red));
      assert.deepEqual(await pixel(one.images[0]!, 10, 10), [0, 255, 255]);

      const two = await engine.edit(
        {
          model: 'gpt-image-1',
          prompt: 'blend',
          images: [red, blue],
          width: 1024,
          height: 1536,
          seed: 7,
          quality: 'high',
        },
        call(),
      );
      const double = openai.requests.at(-1)!;
      assert.deepEqual(
        double.files!.map((file) => file.field),
        ['image[]', 'image[]'],
      );
      assert.ok(double.files![1]!.bytes.equals(blue));
      assert.equal(double.fields!.response_format, undefined);
      assert.deepEqual(double.fields!.quality, ['high']);
      const metadata = await sharp(two.images[0]!).metadata();
      assert.deepEqual([metadata.width, metadata.height], [1024, 1536]);
      assert.deepEqual(await pixel(two.images[0]!, 10, 10), [127, 255, 127]);
    } finally {
      await engine.close();
    }
  });

  it('edit (localai): img2img on /images/generations with the image in `file` and the layers in `ref_images`', async () => {
    const engine = new OpenAiImageEngine(engineConfig([localai.url], { imageApi: 'localai' }));
    try {
      const green = await solid([0, 200, 0]);
      const white = await solid([255, 255, 255]);
      const result = await engine.edit(
        { model: 'sd', prompt: 'snow', images: [green, white], width: 640, height: 480, seed: 9 },
        call(),
      );
      const sent = localai.requests.at(-1)!;
      assert.equal(sent.path, '/v1/images/generations');
      assert.equal(sent.json!.file, green.toString('base64'));
      assert.deepEqual(sent.json!.ref_images, [white.toString('base64')]);
      assert.equal(sent.json!.seed, 9);
      assert.equal(result.seed, 9);
      assert.deepEqual(await pixel(result.images[0]!, 5, 5), [255 - 128, 255 - 228, 255 - 128]);
    } finally {
      await engine.close();
    }
  });

  it('failures: a refused connection moved on from, content policy (both codes), a 500, a 400', async () => {
    const second = await startOpenAiImagesServer();
    const down = await startOpenAiImagesServer();
    await down.down();
    const engine = new OpenAiImageEngine(engineConfig([down.url, second.url]));
    try {
      const forbidden = engine.generate(
        { ...GENERATE, prompt: 'something #forbidden', count: 1, width: 512, height: 512 },
        call(),
      );
      await assert.rejects(
        forbidden,
        (error: unknown) =>
          error instanceof EngineError &&
          error.failure === 'content_policy' &&
          error.message.includes('content_policy_violation'),
      );
      const gpt = engine.edit(
        {
          model: 'gpt-image-1',
          prompt: '#forbidden',
          images: [await solid([1, 2, 3])],
          width: 1024,
          height: 1024,
          seed: 1,
        },
        call(),
      );
      await assert.rejects(
        gpt,
        (error: unknown) =>
          error instanceof EngineError &&
          error.failure === 'content_policy' &&
          error.message.includes('moderation_blocked'),
      );
      const context = call();
      await engine.generate({ ...GENERATE, count: 1, width: 512, height: 512 }, context);
      assert.equal(context.servedBy, `openai-compatible/${new URL(second.url).host}`);
    } finally {
      await engine.close();
    }
    // With the refused endpoint out of the way, the answer of the one left is what the caller sees.
    const alone = new OpenAiImageEngine(engineConfig([second.url]));
    try {
      second.failNext({ status: 500, body: { error: { message: 'boom' } } });
      await assert.rejects(
        alone.generate({ ...GENERATE, count: 1 }, call()),
        (error: unknown) =>
          error instanceof EngineError &&
          error.failure === 'failed' &&
          error.message.includes('boom'),
      );
      await assert.rejects(
        alone.generate({ ...GENERATE, count: 1, width: 300, height: 300 }, call()),
        (error: unknown) =>
          error instanceof EngineError &&
          error.failure === 'bad_request' &&
          error.message.includes("Invalid value: '300x300'"),
      );
    } finally {
      await alone.close();
      await second.close();
    }
  });

  it("the client's abort cancels the upstream request", async () => {
    const engine = new OpenAiImageEngine(engineConfig([openai.url]));
    try {
      openai.hangNext();
      const before = openai.requests.length;
      const controller = new AbortController();
      const pending = engine.generate(
        { ...GENERATE, count: 1, width: 512, height: 512 },
        { signal: controller.signal },
      );
      // Abort once the upstream holds the request (the double records it before hanging).
      for (let turn = 0; turn < 500 && openai.requests.length === before; turn += 1)
        await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      await assert.rejects(
        pending,
        (error: unknown) =>
          error instanceof EngineError && error.message === 'request aborted by the client',
      );
      const hung = openai.requests.at(-1)!;
      for (let turn = 0; turn < 200 && !hung.aborted; turn += 1)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(hung.aborted, true);
    } finally {
      await engine.close();
    }
  });

  it('checkHealth: GET /models on every endpoint', async () => {
    const gone = await startOpenAiImagesServer();
    const engine = new OpenAiImageEngine(engineConfig([openai.url, gone.url]));
    try {
      assert.deepEqual(await engine.checkHealth(AbortSignal.timeout(5000)), {
        healthy: true,
        detail: 'every endpoint answers',
      });
      await gone.down();
      const health = await engine.checkHealth(AbortSignal.timeout(5000));
      assert.equal(health.healthy, false);
      assert.ok(health.detail.includes(gone.url), health.detail);
    } finally {
      await engine.close();
    }
  });
});
