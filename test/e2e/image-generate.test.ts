// POST /image/generate and GET /image/styles on the automatic1111 engine, against the A1111 test double
// (test/support/upstream/automatic1111-server.ts): JSON with variants, return_binary in every format (magic
// bytes and sharp's reading), what reaches the WebUI (seed, steps, CFG, sampler, checkpoint, negative prompt,
// style preset), model-specific validation, EXIF, headers and the model listing, each body checked against
// the swagger. Failures, billing and aborts are in image-generate-upstream.test.ts; /images/generations in
// image-generate-openai.test.ts.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { IMAGE_STYLES } from '../../src/services/image/image-styles.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import {
  colorOf,
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import {
  imageModels,
  pixelAt,
  postGenerate,
  type GenerateAnswer,
} from './image-generate-support.ts';

const PATH = '/image/generate';
const MAGIC: Record<'png' | 'jpeg' | 'webp', (image: Buffer) => boolean> = {
  png: (image) =>
    image.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  jpeg: (image) => image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff,
  webp: (image) =>
    image.subarray(0, 4).toString('latin1') === 'RIFF' &&
    image.subarray(8, 12).toString('latin1') === 'WEBP',
};

describe('POST /image/generate (automatic1111)', () => {
  let a1111: Automatic1111Server;
  let rialto: TestRialto;
  const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    postGenerate(rialto, body, headers);

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
    a1111.behavior = {};
  });

  it('JSON with variants: three webp images (the default format) of the default size, one txt2img batch with every setting forwarded', async () => {
    const prompt = 'a lighthouse on a cliff at dusk';
    const response = await post({
      model: 'sd-a1111',
      prompt,
      variants: 3,
      seed: 4242,
      steps: 25,
      cfg_scale: 4.5,
      negative_prompt: 'fog',
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as GenerateAnswer;
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assert.match(body.id, /^generate-image-[0-9a-f-]{36}$/);
    assert.equal(body.images.length, 3);
    for (const [index, encoded] of body.images.entries()) {
      const image = Buffer.from(encoded, 'base64');
      assert.ok(MAGIC.webp(image));
      const metadata = await sharp(image).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['webp', 512, 512]);
      // The double paints image i in the colour of (seed + i, prompt): A1111 seeds a batch seed, seed+1, …
      const expected = colorOf(4242 + index, prompt);
      const actual = await pixelAt(image, 4, 4);
      for (const channel of ['r', 'g', 'b'] as const)
        assert.ok(
          Math.abs(actual[channel] - expected[channel]) <= 8,
          `image ${index} ${channel}: ${actual[channel]} vs ${expected[channel]}`,
        );
    }
    for (const key of [
      'inferenceDuration',
      'inferencePreprocessingTime',
      'inferenceQueueTime',
      'total',
    ] as const)
      assert.ok(body.timing[key] >= 0);
    assert.ok(body.timing.total >= body.timing.inferenceDuration);
    assert.equal(body.request?.seed, 4242);
    assert.equal(body.request?.format, 'webp');
    assert.equal(body.request?.safe_mode, true);
    const jobs = a1111.jobs();
    assert.equal(jobs.length, 1);
    assert.deepEqual(
      { ...jobs[0], force_task_id: undefined },
      {
        prompt,
        negative_prompt: 'fog',
        width: 512,
        height: 512,
        steps: 25,
        cfg_scale: 4.5,
        seed: 4242,
        batch_size: 3,
        n_iter: 1,
        sampler_name: 'DPM++ 2M',
        send_images: true,
        save_images: false,
        force_task_id: undefined,
        override_settings: { sd_model_checkpoint: 'sd_xl_base_1.0' },
        override_settings_restore_afterwards: true,
      },
    );
    assert.match(String(jobs[0]?.force_task_id), /^rialto-[0-9a-f-]{36}$/);
  });

  it("the model's defaults (steps, cfg) apply when the request gives none; no seed means a random one, echoed in `request`", async () => {
    const first = (await (
      await post({ model: 'sd-a1111', prompt: 'a fox', format: 'png' })
    ).json()) as GenerateAnswer;
    const second = (await (
      await post({ model: 'sd-a1111', prompt: 'a fox', format: 'png' })
    ).json()) as GenerateAnswer;
    const [one, two] = a1111.jobs();
    assert.equal(one?.steps, 20);
    assert.equal(one?.cfg_scale, 6);
    assert.equal(typeof one?.seed, 'number');
    assert.equal(first.request?.seed, one?.seed);
    assert.equal(second.request?.seed, two?.seed);
    assert.notEqual(one?.seed, two?.seed);
    assert.deepEqual(
      await pixelAt(Buffer.from(first.images[0]!, 'base64'), 1, 1),
      colorOf(Number(one?.seed), 'a fox'),
    );
  });

  it('a negative seed reaches A1111 as 2^32 + seed (A1111 reads -1 as random), so it stays deterministic', async () => {
    assert.equal((await post({ model: 'sd-a1111', prompt: 'a fox', seed: -1 })).status, 200);
    assert.equal(
      (await post({ model: 'sd-a1111', prompt: 'a fox', seed: -999_999_999 })).status,
      200,
    );
    assert.deepEqual(
      a1111.jobs().map((job) => job.seed),
      [4_294_967_295, 3_294_967_297],
    );
  });

  for (const format of ['png', 'jpeg', 'webp'] as const) {
    it(`return_binary ${format}: the image itself as image/${format}, of the requested size, never compressed`, async () => {
      const response = await post(
        {
          model: 'sd-a1111',
          prompt: 'a red kite',
          width: 640,
          height: 384,
          format,
          return_binary: true,
          seed: 7,
        },
        { 'accept-encoding': 'gzip, br' },
      );
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), `image/${format}`);
      assert.equal(response.headers.get('content-encoding'), null);
      const image = Buffer.from(await response.arrayBuffer());
      assert.ok(MAGIC[format](image), `${format} magic: ${image.subarray(0, 12).toString('hex')}`);
      const metadata = await sharp(image).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], [format, 640, 384]);
      assert.deepEqual(
        [a1111.jobs()[0]?.width, a1111.jobs()[0]?.height, a1111.jobs()[0]?.batch_size],
        [640, 384, 1],
      );
      validateResponse({
        method: 'POST',
        path: PATH,
        status: 200,
        contentType: `image/${format}`,
        body: image,
      });
    });
  }

  it('the JSON answer is compressed when the client accepts it', async () => {
    const response = await post(
      { model: 'sd-a1111', prompt: 'a red kite', seed: 1 },
      { 'accept-encoding': 'gzip' },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-encoding'), 'gzip');
    validateResponse({ method: 'POST', path: PATH, status: 200, body: await response.json() });
  });

  it("a style preset wraps the prompt in its template and puts its negative prompt before the client's", async () => {
    const cinematic = IMAGE_STYLES.find((style) => style.name === 'Cinematic')!;
    assert.equal(
      (
        await post({
          model: 'sd-a1111',
          prompt: 'a $& harbour',
          negative_prompt: 'people',
          style_preset: 'Cinematic',
        })
      ).status,
      200,
    );
    const [job] = a1111.jobs();
    assert.equal(
      job?.prompt,
      cinematic.prompt.replace('{prompt}', () => 'a $& harbour'),
    );
    assert.ok(
      String(job?.prompt).startsWith('cinematic film still of a $& harbour'),
      String(job?.prompt),
    );
    assert.equal(job?.negative_prompt, `${cinematic.negative}, people`);
  });

  it('headers: model id, name and router, is-blurred and is-content-violation "false", balances; deprecation notices of a deprecated model', async () => {
    const response = await post({ model: 'sd-a1111', prompt: 'a boat' });
    assert.equal(response.headers.get('x-venice-model-id'), 'sd-a1111');
    assert.equal(response.headers.get('x-venice-model-name'), 'SDXL on A1111');
    assert.equal(
      response.headers.get('x-venice-model-router'),
      `automatic1111/${new URL(a1111.url).host}`,
    );
    assert.equal(response.headers.get('x-venice-is-blurred'), 'false');
    assert.equal(response.headers.get('x-venice-is-content-violation'), 'false');
    assert.ok(response.headers.get('x-venice-balance-usd') !== null);
    assert.equal(response.headers.get('x-venice-enhanced-prompt'), null);
    assert.equal(response.headers.get('x-venice-deprecated'), null);
    const old = await post({ model: 'sd-old', prompt: 'a boat' });
    assert.equal(old.status, 200);
    assert.equal(old.headers.get('x-venice-deprecated'), 'true');
    assert.equal(old.headers.get('x-venice-deprecated-replacement'), 'sd-a1111');
    assert.equal(old.headers.get('x-venice-model-deprecation-date'), '2026-01-01T00:00:00.000Z');
    assert.ok(old.headers.get('x-venice-model-deprecation-warning'));
  });

  it('embed_exif_metadata writes the prompt and settings into EXIF (ASCII) and XMP (the prompt whole), in every format', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const response = await post({
        model: 'sd-a1111',
        prompt: 'a quiet canal, café <noir> & 夜',
        seed: 99,
        steps: 12,
        format,
        return_binary: true,
        embed_exif_metadata: true,
      });
      const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      const exif = metadata.exif?.toString('latin1') ?? '';
      assert.ok(
        exif.includes('a quiet canal') && exif.includes('Seed: 99') && exif.includes('Steps: 12'),
        `${format}: ${JSON.stringify(exif.slice(0, 200))}`,
      );
      const xmp = metadata.xmp?.toString('utf8') ?? '';
      assert.ok(
        xmp.includes('a quiet canal, café &#60;noir&#62; &#38; 夜'),
        `${format}: ${xmp.slice(0, 400)}`,
      );
    }
    const plain = await post({
      model: 'sd-a1111',
      prompt: 'a quiet canal',
      format: 'jpeg',
      return_binary: true,
    });
    assert.equal((await sharp(Buffer.from(await plain.arrayBuffer())).metadata()).exif, undefined);
  });

  it("an aspect-ratio model: aspect_ratio and resolution tier set the size (the tier is the long side), the model's defaults otherwise", async () => {
    const wide = (await (
      await post({
        model: 'sd-tiers',
        prompt: 'a dune',
        aspect_ratio: '16:9',
        resolution: '0.5K',
        format: 'png',
      })
    ).json()) as GenerateAnswer;
    const square = (await (
      await post({ model: 'sd-tiers', prompt: 'a dune', format: 'png', width: 1024, height: 1024 })
    ).json()) as GenerateAnswer;
    const tall = (await (
      await post({ model: 'sd-tiers', prompt: 'a dune', aspect_ratio: '9:16', format: 'png' })
    ).json()) as GenerateAnswer;
    assert.deepEqual(
      a1111.jobs().map((job) => [job.width, job.height]),
      [
        [512, 288],
        [256, 256],
        [144, 256],
      ],
    );
    const sizes = await Promise.all(
      [wide, square, tall].map(async (body) => {
        const { width, height } = await sharp(Buffer.from(body.images[0]!, 'base64')).metadata();
        return [width, height];
      }),
    );
    assert.deepEqual(sizes, [
      [512, 288],
      [256, 256],
      [144, 256],
    ]);
  });

  const refused: [string, Record<string, unknown>, string, string][] = [
    [
      "a width not divisible by the model's 64",
      { width: 500 },
      'width',
      'width must be divisible by 64',
    ],
    ['a height over 1280', { height: 1344 }, 'height', 'Too big'],
    ['a width of 0', { width: 0 }, 'width', 'Too small'],
    ["steps over the model's 30", { steps: 31 }, 'steps', 'Too big'],
    ['cfg_scale 0', { cfg_scale: 0 }, 'cfg_scale', 'Too small'],
    ['cfg_scale over 20', { cfg_scale: 20.5 }, 'cfg_scale', 'Too big'],
    ["a prompt over the model's 200 characters", { prompt: 'p'.repeat(201) }, 'prompt', 'Too big'],
    ['a prompt over 7500 characters', { prompt: 'p'.repeat(7501) }, 'prompt', 'Too big'],
    ['an empty prompt', { prompt: '' }, 'prompt', 'Too small'],
    ['a seed over 999,999,999', { seed: 1_000_000_000 }, 'seed', 'Too big'],
    ['5 variants', { variants: 5 }, 'variants', 'Too big'],
    [
      'variants with return_binary',
      { variants: 2, return_binary: true },
      'variants',
      'variants is only supported when return_binary is false',
    ],
    [
      'an unknown style preset',
      { style_preset: 'Velvet Dream' },
      'style_preset',
      'Unknown style preset',
    ],
    ['a gif format', { format: 'gif' }, 'format', 'Invalid option'],
    [
      'style references',
      { style_references: [{ image: 'https://example.com/a.png' }] },
      'style_references',
      'sd-a1111 does not support style references',
    ],
    ['the disabled inpaint', { inpaint: { strength: 50 } }, 'inpaint', 'inpaint was disabled'],
  ];
  for (const [name, fields, field, message] of refused) {
    it(`400 for ${name}, with the Venice validation body, and nothing sent upstream`, async () => {
      const response = await post({ model: 'sd-a1111', prompt: 'a fox', ...fields });
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
      assert.equal(a1111.requests.length, 0);
    });
  }

  it('400 for an unknown key (strict body), a missing model and a missing prompt', async () => {
    const unknown = await post({ model: 'sd-a1111', prompt: 'a fox', sampler: 'Euler' });
    assert.equal(unknown.status, 400);
    const body = (await unknown.json()) as { details: { _errors: string[] } };
    validateResponse({ method: 'POST', path: PATH, status: 400, body });
    assert.deepEqual(body.details._errors, ["Unrecognized key(s) in object: 'sampler'"]);
    for (const missing of [{ prompt: 'a fox' }, { model: 'sd-a1111' }]) {
      const response = await post(missing);
      assert.equal(response.status, 400);
      validateResponse({ method: 'POST', path: PATH, status: 400, body: await response.json() });
    }
  });

  it('404 MODEL_NOT_FOUND for an unknown model, 400 INVALID_MODEL for a text model, 401 without a key', async () => {
    const unknown = await post({ model: 'sd-nothing', prompt: 'a fox' });
    assert.equal(unknown.status, 404);
    const notFound = (await unknown.json()) as { error: string };
    validateSchema('StandardError', notFound);
    assert.equal(notFound.error, 'Specified model not found');
    const text = await post({ model: 'chat-model', prompt: 'a fox' });
    assert.equal(text.status, 400);
    const invalid = (await text.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 400, body: invalid });
    assert.equal(invalid.error, 'Invalid model specified');
    const anonymous = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sd-a1111', prompt: 'a fox' }),
    });
    assert.equal(anonymous.status, 401);
    validateResponse({ method: 'POST', path: PATH, status: 401, body: await anonymous.json() });
    assert.equal(a1111.requests.length, 0);
  });

  it('GET /image/styles is public: {object: "list", data: [names]} with Venice\'s names', async () => {
    const response = await fetch(`${rialto.baseURL}/image/styles`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { object: string; data: string[] };
    validateResponse({ method: 'GET', path: '/image/styles', status: 200, body });
    assert.equal(body.object, 'list');
    for (const name of [
      '3D Model',
      'Analog Film',
      'Anime',
      'Cinematic',
      'Comic Book',
      'Digital Art',
    ])
      assert.ok(body.data.includes(name), name);
    assert.equal(new Set(body.data).size, body.data.length);
    assert.ok(body.data.length >= 50);
  });

  it('GET /models?type=image lists the image models with pricing and constraints, as the swagger says', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=image`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      data: {
        id: string;
        model_spec: { pricing: Record<string, unknown>; constraints: Record<string, unknown> };
      }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const model = body.data.find((item) => item.id === 'sd-a1111');
    assert.deepEqual(model?.model_spec.pricing.generation, { usd: 0.01, diem: 0.01 });
    assert.equal(model?.model_spec.constraints.widthHeightDivisor, 64);
    assert.deepEqual(model?.model_spec.constraints.steps, { default: 20, max: 30 });
    const tiers = body.data.find((item) => item.id === 'sd-tiers');
    assert.deepEqual(tiers?.model_spec.constraints.resolutions, ['0.25K', '0.5K']);
  });
});
