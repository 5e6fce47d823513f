// POST /image/generate on the other ImageEngine, the OpenAI images engine (src/engines/openai-compatible/
// openai-image-engine.ts), against the OpenAI-images double: the same service serves it, sizes the answer to
// the request, forwards variants and quality (and, to LocalAI, seed, steps and the negative prompt), bills
// by quality, and maps a content-policy refusal. /images/generations through the official openai client, and
// /image/generate's `format` and `return_binary`, on both the OpenAI and the LocalAI dialect.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  promptColor,
  startOpenAiImagesServer,
  type OpenAiImagesServer,
} from '../support/upstream/openai-images-server.ts';
import { pixelAt, postGenerate, type GenerateAnswer } from './image-generate-support.ts';

const price = (usd: number) => ({ usd, diem: usd });
const row = (low: number, medium: number, high: number) => ({
  low: price(low),
  medium: price(medium),
  high: price(high),
});

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
          id: 'gpt-image',
          type: 'image',
          engine: {
            kind: 'openai-compatible',
            endpoints: [{ url: openai.url }],
            model: 'gpt-image-1',
            imageSizes: ['1024x1024', '1536x1024', '1024x1536'],
          },
          imageConstraints: { qualities: ['low', 'medium', 'high'], defaultQuality: 'high' },
          pricing: { input: price(0), output: price(0), quality: { '1K': row(0.01, 0.04, 0.17) } },
        },
        {
          id: 'local-sd',
          type: 'image',
          engine: {
            kind: 'openai-compatible',
            endpoints: [{ url: localai.url }],
            model: 'stablediffusion',
            imageApi: 'localai',
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await openai?.close();
    await localai?.close();
  });

  it("variants and quality reach the upstream; the images come back at the requested size; billed at the quality's price", async () => {
    const earlier = new Set(
      (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).map(
        (record) => record.id,
      ),
    );
    const response = await postGenerate(rialto, {
      model: 'gpt-image',
      prompt: 'a paper boat',
      width: 768,
      height: 512,
      variants: 2,
      quality: 'medium',
      format: 'png',
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as GenerateAnswer;
    validateResponse({ method: 'POST', path: '/image/generate', status: 200, body });
    assert.equal(
      response.headers.get('x-venice-model-router'),
      `openai-compatible/${new URL(openai.url).host}`,
    );
    const [request] = openai.requests.filter((item) => item.path === '/v1/images/generations');
    assert.deepEqual(
      [request?.json?.model, request?.json?.n, request?.json?.quality, request?.json?.size],
      ['gpt-image-1', 2, 'medium', '1536x1024'],
    );
    assert.equal(body.images.length, 2);
    for (const [index, encoded] of body.images.entries()) {
      const image = Buffer.from(encoded, 'base64');
      const { width, height } = await sharp(image).metadata();
      assert.deepEqual([width, height], [768, 512]);
      // The double paints the top-left quarter inverted; the bottom-right is the prompt's colour.
      const [r, g, b] = promptColor('a paper boat', index);
      const pixel = await pixelAt(image, 700, 480);
      assert.ok(
        Math.abs(pixel.r - r) <= 2 && Math.abs(pixel.g - g) <= 2 && Math.abs(pixel.b - b) <= 2,
        JSON.stringify(pixel),
      );
    }
    const added = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter(
      (record) => !earlier.has(record.id),
    );
    assert.deepEqual(
      added.map((record) => [record.modelId, record.amount]),
      [['gpt-image', toNanos(0.08)]],
    );
  });

  it('LocalAI is sent the seed, the steps and the negative prompt', async () => {
    const response = await postGenerate(rialto, {
      model: 'local-sd',
      prompt: 'a paper boat',
      negative_prompt: 'rain',
      seed: 77,
      steps: 9,
      width: 512,
      height: 512,
    });
    assert.equal(response.status, 200, await response.clone().text());
    const [request] = localai.requests.filter((item) => item.path === '/v1/images/generations');
    assert.deepEqual(
      [request?.json?.seed, request?.json?.step, request?.json?.prompt],
      [77, 9, 'a paper boat|rain'],
    );
  });

  it('a content-policy refusal upstream is 422 CONTENT_POLICY_VIOLATION', async () => {
    const response = await postGenerate(rialto, {
      model: 'gpt-image',
      prompt: 'something #forbidden',
    });
    assert.equal(response.status, 422);
    assert.equal(
      ((await response.json()) as { error: string }).error,
      'Your prompt violates the content policy of Venice.ai or the model provider',
    );
  });

  /** The image of an /images/generations item: b64_json, or the base64 of a data:image/<format> URL (INVENTORY §11.15). */
  const imageOf = (
    item: { b64_json?: string | undefined; url?: string | undefined } | undefined,
    format: string,
  ): Buffer => {
    if (item?.url === undefined) return Buffer.from(item?.b64_json ?? '', 'base64');
    assert.ok(item.url.startsWith(`data:image/${format};base64,`), item.url.slice(0, 40));
    assert.equal(item.b64_json, undefined);
    return Buffer.from(item.url.slice(item.url.indexOf(',') + 1), 'base64');
  };

  /** swagger: both generation routes set x-venice-is-blurred and x-venice-is-content-violation (a refusal is a 422 instead). */
  const assertGenerationHeaders = (headers: Headers, model: string): void => {
    assert.equal(headers.get('x-venice-model-id'), model);
    assert.equal(headers.get('x-venice-is-content-violation'), 'false');
    // "true" only where a Safe Mode classifier blurred the image; either way the header is there.
    assert.ok(
      ['true', 'false'].includes(headers.get('x-venice-is-blurred') ?? ''),
      String(headers.get('x-venice-is-blurred')),
    );
  };

  /** The prompt's colour, within `tolerance` (webp and jpeg are lossy), well away from the inverted top-left quarter. */
  const assertPromptColour = async (
    image: Buffer,
    prompt: string,
    tolerance: number,
  ): Promise<void> => {
    const { width = 0, height = 0 } = await sharp(image).metadata();
    const [r, g, b] = promptColor(prompt);
    const pixel = await pixelAt(image, width - 40, height - 40);
    const near = [pixel.r - r, pixel.g - g, pixel.b - b].every(
      (difference) => Math.abs(difference) <= tolerance,
    );
    assert.ok(near, `${JSON.stringify(pixel)} vs ${[r, g, b].join(',')}`);
  };

  it('openai client, OpenAI engine: b64_json webp and url (data URL) jpeg at the size asked; gpt-image-1 gets its nearest size, no response_format', async () => {
    // The model keeps the default maxDimension 1280 and divisor 8: 1536x1024 → 1280x856, 1024x1536 → 856x1280; gpt-image-1 is
    // asked for the imageSizes entry nearest in ratio, and the service resizes what comes back.
    const cases = [
      {
        size: '1536x1024',
        response_format: 'b64_json',
        output_format: 'webp',
        expected: [1280, 856],
        upstream: '1536x1024',
      },
      {
        size: '1024x1536',
        response_format: 'url',
        output_format: 'jpeg',
        expected: [856, 1280],
        upstream: '1024x1536',
      },
    ] as const;
    for (const { size, response_format, output_format, expected, upstream } of cases) {
      const from = openai.requests.length;
      const { data, response } = await rialto.client.images
        .generate({
          model: 'gpt-image',
          prompt: 'a paper lantern',
          size,
          response_format,
          output_format,
        })
        .withResponse();
      validateResponse({ method: 'POST', path: '/images/generations', status: 200, body: data });
      assertGenerationHeaders(response.headers, 'gpt-image');
      assert.equal(
        response.headers.get('x-venice-model-router'),
        `openai-compatible/${new URL(openai.url).host}`,
      );
      assert.equal(data.data?.length, 1);
      const image = imageOf(data.data?.[0], output_format);
      const metadata = await sharp(image).metadata();
      assert.deepEqual(
        [metadata.format, metadata.width, metadata.height],
        [output_format, ...expected],
        size,
      );
      await assertPromptColour(image, 'a paper lantern', 8);
      const sent = openai.requests.slice(from);
      assert.deepEqual(
        sent.map((request) => request.path),
        ['/v1/images/generations'],
      );
      // GPT image models refuse response_format (the double answers 400 unknown_parameter); quality is the model's defaultQuality.
      assert.deepEqual(sent[0]?.json, {
        model: 'gpt-image-1',
        prompt: 'a paper lantern',
        size: upstream,
        quality: 'high',
        n: 1,
      });
    }
  });

  it('openai client, LocalAI engine: b64_json png (the default) and url (data URL) webp at the size asked; LocalAI is asked for base64', async () => {
    // No imageSizes: LocalAI gets the planned size itself (1792x1024 → 1280x728 within maxDimension 1280, divisor 8).
    const cases = [
      {
        size: '1024x1024',
        response_format: undefined,
        output_format: undefined,
        format: 'png',
        expected: [1024, 1024],
      },
      {
        size: '1792x1024',
        response_format: 'url',
        output_format: 'webp',
        format: 'webp',
        expected: [1280, 728],
      },
    ] as const;
    for (const { size, response_format, output_format, format, expected } of cases) {
      const from = localai.requests.length;
      const { data, response } = await rialto.client.images
        .generate({
          model: 'local-sd',
          prompt: 'a paper lantern',
          size,
          ...(response_format === undefined ? {} : { response_format }),
          ...(output_format === undefined ? {} : { output_format }),
        })
        .withResponse();
      validateResponse({ method: 'POST', path: '/images/generations', status: 200, body: data });
      assertGenerationHeaders(response.headers, 'local-sd');
      assert.equal(
        response.headers.get('x-venice-model-router'),
        `openai-compatible/${new URL(localai.url).host}`,
      );
      const image = imageOf(data.data?.[0], format);
      const metadata = await sharp(image).metadata();
      assert.deepEqual(
        [metadata.format, metadata.width, metadata.height],
        [format, ...expected],
        size,
      );
      await assertPromptColour(image, 'a paper lantern', 8);
      const sent = localai.requests.slice(from);
      assert.equal(sent.length, 1);
      const { seed, ...rest } = sent[0]?.json ?? {};
      // LocalAI answers a URL unless asked for b64_json; the steps are the model's default (20); the seed is Rialto's pick.
      const planned = `${expected[0]}x${expected[1]}`;
      assert.deepEqual(rest, {
        model: 'stablediffusion',
        prompt: 'a paper lantern',
        size: planned,
        response_format: 'b64_json',
        n: 1,
        step: 20,
      });
      assert.ok(Number.isInteger(seed), String(seed));
    }
  });

  it('/image/generate return_binary: the raw image as image/<format> (png, jpeg, webp) at the size asked, on both engines, one image asked upstream', async () => {
    for (const [model, upstream] of [
      ['gpt-image', openai],
      ['local-sd', localai],
    ] as const) {
      for (const format of ['png', 'jpeg', 'webp'] as const) {
        const from = upstream.requests.length;
        const response = await postGenerate(rialto, {
          model,
          prompt: 'a paper lantern',
          width: 640,
          height: 384,
          format,
          return_binary: true,
        });
        assert.equal(response.status, 200, await response.clone().text());
        assert.equal(response.headers.get('content-type'), `image/${format}`);
        assertGenerationHeaders(response.headers, model);
        const image = Buffer.from(await response.arrayBuffer());
        validateResponse({
          method: 'POST',
          path: '/image/generate',
          status: 200,
          contentType: `image/${format}`,
          body: image,
        });
        const metadata = await sharp(image).metadata();
        assert.deepEqual(
          [metadata.format, metadata.width, metadata.height],
          [format, 640, 384],
          `${model} ${format}`,
        );
        await assertPromptColour(image, 'a paper lantern', 8);
        const sent = upstream.requests.slice(from);
        assert.deepEqual(
          sent.map((request) => request.json?.n),
          [1],
          `${model} ${format}`,
        );
        // gpt-image-1 takes three sizes (1536x1024 is nearest 640x384 in ratio); LocalAI takes any.
        assert.equal(sent[0]?.json?.size, model === 'gpt-image' ? '1536x1024' : '640x384');
      }
    }
  });

  it('/image/generate format encodes every image of the JSON answer (png, jpeg, webp; webp by default), on both engines', async () => {
    for (const model of ['gpt-image', 'local-sd']) {
      for (const format of ['png', 'jpeg', 'webp', undefined] as const) {
        const asked = {
          model,
          prompt: 'a paper lantern',
          width: 512,
          height: 512,
          variants: 2,
          ...(format === undefined ? {} : { format }),
        };
        const response = await postGenerate(rialto, asked);
        assert.equal(response.status, 200, await response.clone().text());
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assertGenerationHeaders(response.headers, model);
        const body = (await response.json()) as GenerateAnswer;
        validateResponse({ method: 'POST', path: '/image/generate', status: 200, body });
        assert.equal(body.request?.format, format ?? 'webp');
        assert.equal(body.images.length, 2);
        for (const encoded of body.images) {
          const metadata = await sharp(Buffer.from(encoded, 'base64')).metadata();
          assert.deepEqual(
            [metadata.format, metadata.width, metadata.height],
            [format ?? 'webp', 512, 512],
            `${model} ${String(format)}`,
          );
        }
      }
    }
  });
});
