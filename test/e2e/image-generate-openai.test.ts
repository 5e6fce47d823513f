// POST /images/generations (OpenAI-compatible) through the official `openai` client, on the automatic1111
// engine: b64_json and url (a data URL), sizes, output formats, the default-model fallback, the fields
// accepted and ignored, the strict body (safe_mode refused), headers and billing. Bodies are checked against
// the swagger.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from 'openai';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import { GENERATION_PRICE, imageModels, postGenerate } from './image-generate-support.ts';

const PATH = '/images/generations';

describe('POST /images/generations (automatic1111, openai client)', () => {
  let a1111: Automatic1111Server;
  let rialto: TestRialto;
  const post = (body: unknown): Promise<Response> => postGenerate(rialto, body, {}, PATH);

  before(async () => {
    a1111 = await startAutomatic1111Server();
    rialto = await startRialto({ models: imageModels(a1111.url) });
  });
  after(async () => {
    await rialto?.close();
    await a1111?.close();
  });
  beforeEach(() => {
    a1111.requests.length = 0;
  });

  it('b64_json (the default): one PNG (the default output_format) of 1024x1024 for size auto, on the default image model', async () => {
    const { data, response } = await rialto.client.images
      .generate({ prompt: 'a teapot', model: 'sd-a1111' })
      .withResponse();
    assert.equal(data.data?.length, 1);
    const image = Buffer.from(data.data![0]!.b64_json!, 'base64');
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1024, 1024]);
    assert.ok(Math.abs((data.created ?? 0) - Date.now() / 1000) < 600);
    assert.equal(response.headers.get('x-venice-model-id'), 'sd-a1111');
    assert.equal(response.headers.get('x-venice-is-blurred'), 'false');
    assert.equal(response.headers.get('x-venice-is-content-violation'), 'false');
    const [job] = a1111.jobs();
    assert.deepEqual(
      [job?.prompt, job?.width, job?.height, job?.batch_size, job?.steps, job?.cfg_scale],
      ['a teapot', 1024, 1024, 1, 20, 6],
    );
  });

  it('response_format url is a data URL; output_format webp and jpeg are honoured', async () => {
    for (const format of ['webp', 'jpeg'] as const) {
      const result = await rialto.client.images.generate({
        prompt: 'a teapot',
        model: 'sd-a1111',
        response_format: 'url',
        output_format: format,
      });
      const url = result.data?.[0]?.url ?? '';
      assert.ok(url.startsWith(`data:image/${format};base64,`), url.slice(0, 40));
      const metadata = await sharp(
        Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'),
      ).metadata();
      assert.equal(metadata.format, format);
    }
  });

  it("sizes: within the model's maxDimension and divisor, the ratio kept (1792x1024 → 1280x704 on a 1280 / 64 model)", async () => {
    const sizes = [
      ['256x256', 256, 256],
      ['512x512', 512, 512],
      ['1024x1536', 832, 1280],
      ['1792x1024', 1280, 704],
    ] as const;
    for (const [size, width, height] of sizes) {
      const result = await rialto.client.images.generate({
        prompt: 'a teapot',
        model: 'sd-a1111',
        size,
      });
      const metadata = await sharp(Buffer.from(result.data![0]!.b64_json!, 'base64')).metadata();
      assert.deepEqual([metadata.width, metadata.height], [width, height], size);
    }
    assert.deepEqual(
      a1111.jobs().map((job) => [job.width, job.height]),
      sizes.map(([, width, height]) => [width, height]),
    );
  });

  it('an aspect-ratio model gets the listed ratio nearest the size, at its default resolution', async () => {
    await rialto.client.images.generate({
      prompt: 'a teapot',
      model: 'sd-tiers',
      size: '1792x1024',
    });
    await rialto.client.images.generate({
      prompt: 'a teapot',
      model: 'sd-tiers',
      size: '1024x1024',
    });
    assert.deepEqual(
      a1111.jobs().map((job) => [job.width, job.height]),
      [
        [256, 144],
        [256, 256],
      ],
    );
  });

  it('an unknown model (dall-e-3), a text model and no model at all fall back to the default image model', async () => {
    for (const model of ['dall-e-3', 'chat-model', undefined]) {
      const { response } = await rialto.client.images
        .generate({ prompt: 'a teapot', ...(model === undefined ? {} : { model }) })
        .withResponse();
      assert.equal(response.headers.get('x-venice-model-id'), 'sd-a1111', String(model));
    }
    assert.equal(a1111.jobs().length, 3);
  });

  it('the OpenAI fields Venice ignores are accepted; the body validates against the swagger (no extra keys)', async () => {
    const response = await post({
      prompt: 'a teapot',
      model: 'sd-a1111',
      n: 1,
      quality: 'hd',
      style: 'vivid',
      background: 'auto',
      output_compression: 50,
      user: 'user-1',
      moderation: 'low',
      size: null,
      response_format: null,
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { created: number; data: { b64_json: string }[] };
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assert.deepEqual(Object.keys(body.data[0]!), ['b64_json']);
  });

  it('400 for safe_mode (use moderation), n above 1, a size outside the enum, and a prompt over 1500 characters', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ safe_mode: false }, '_errors', "Unrecognized key(s) in object: 'safe_mode'"],
      [{ n: 2 }, 'n', 'Too big'],
      [{ size: '640x480' }, 'size', 'Invalid option'],
      [{ prompt: 'p'.repeat(1501) }, 'prompt', 'Too big'],
    ];
    for (const [fields, field, message] of cases) {
      const response = await post({ prompt: 'a teapot', ...fields });
      assert.equal(response.status, 400, JSON.stringify(fields));
      const error = (await response.json()) as {
        details: Record<string, unknown> & { _errors: string[] };
      };
      validateResponse({ method: 'POST', path: PATH, status: 400, body: error });
      const messages =
        field === '_errors'
          ? error.details._errors
          : ((error.details[field] as { _errors: string[] } | undefined)?._errors ?? []);
      assert.ok(messages[0]?.startsWith(message), JSON.stringify(error.details));
    }
    await assert.rejects(
      rialto.client.images.generate({ prompt: 'a teapot', n: 2 }),
      (thrown: unknown) => thrown instanceof BadRequestError,
    );
    // Within 1500 but over the model's own promptCharacterLimit (200).
    const long = await post({ prompt: 'p'.repeat(201), model: 'sd-a1111' });
    assert.equal(long.status, 400);
    assert.equal(a1111.requests.length, 0);
  });

  it("bills one image at the model's generation price", async () => {
    const earlier = new Set(
      (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).map(
        (record) => record.id,
      ),
    );
    await rialto.client.images.generate({ prompt: 'a teapot', model: 'sd-a1111' });
    const added = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter(
      (record) => !earlier.has(record.id),
    );
    assert.deepEqual(
      added.map((record) => [record.modelId, record.modelType, record.status, record.amount]),
      [['sd-a1111', 'image', 'completed', toNanos(GENERATION_PRICE)]],
    );
  });
});
