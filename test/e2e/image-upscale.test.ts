// rialto-test: sqlite-only
// POST /image/upscale on the real esrgan engine (@upscalerjs/esrgan-slim on TensorFlow.js wasm): 2× and 4×
// from JSON (base64, data URL, http URL) and multipart, output PNG sizes, quality against nearest-neighbour
// and bicubic on a rendered scene with a known high-resolution original, alpha, validation and image-size
// errors, URL fetching rules, per-factor billing, the upscale model listing and the response headers.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';

const PATH = '/image/upscale';
const PRICES = { '2x': { usd: 0.02, diem: 0.02 }, '4x': { usd: 0.08, diem: 0.08 } };
const UPSCALER = {
  id: 'upscaler',
  name: 'Upscaler',
  type: 'upscale',
  engine: { kind: 'esrgan', tileSize: 128, concurrency: 1 },
  pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, upscale: PRICES },
};

/** A scene with gradients, shapes, thin lines and text, drawn at `size` × `size` (the same picture at any size). */
function scene(size: number): Buffer {
  const lines = Array.from(
    { length: 10 },
    (_, index) => `<line x1="${10 + index * 24}" y1="215" x2="${22 + index * 24}" y2="250"/>`,
  ).join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 256 256">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1e3c72"/><stop offset="1" stop-color="#f7b267"/></linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#fff6b0"/><stop offset="1" stop-color="#f4845f"/></radialGradient></defs>
    <rect width="256" height="256" fill="url(#sky)"/><circle cx="180" cy="80" r="40" fill="url(#sun)"/>
    <polygon points="0,200 70,110 140,200" fill="#2d4739"/><polygon points="90,210 170,120 256,210" fill="#3f6150"/>
    <rect x="0" y="200" width="256" height="56" fill="#264653"/><g stroke="#e9c46a" stroke-width="2">${lines}</g>
    <text x="14" y="40" font-family="sans-serif" font-size="26" font-weight="bold" fill="#fff">Rialto</text>
    <text x="16" y="64" font-family="serif" font-size="14" fill="#000">The quick brown fox</text></svg>`);
}

/** RGB pixels of any encoded image. */
async function rgbOf(image: Buffer): Promise<Buffer> {
  return sharp(image).removeAlpha().raw().toBuffer();
}

/** Peak signal-to-noise ratio of two RGB buffers of one size, in dB (higher is closer). */
function psnr(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let squared = 0;
  for (let index = 0; index < a.length; index += 1) squared += (a[index]! - b[index]!) ** 2;
  return 10 * Math.log10((255 * 255) / (squared / a.length));
}

describe('POST /image/upscale (esrgan)', () => {
  let rialto: TestRialto;
  let strict: TestRialto;
  let imageServer: Server;
  let imageUrl: string;
  /** The 256×256 input (the scene drawn at 512 and shrunk with a bicubic filter) and the 512×512 original. */
  let input: Buffer;
  let original2x: Buffer;

  const post = (
    body: unknown,
    target = rialto,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${target.baseURL}${PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.inferenceKey}`,
        ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body instanceof FormData ? body : JSON.stringify(body),
    });

  const form = (fields: Record<string, string | Buffer>): FormData => {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, new Blob([value], { type: 'image/png' }), 'input.png');
    }
    return data;
  };

  const upscaled = async (
    response: Response,
  ): Promise<{ png: Buffer; width: number; height: number; hasAlpha: boolean }> => {
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await response.arrayBuffer());
    validateResponse({
      method: 'POST',
      path: PATH,
      status: 200,
      contentType: 'image/png',
      body: png,
    });
    const metadata = await sharp(png).metadata();
    assert.equal(metadata.format, 'png');
    return { png, width: metadata.width, height: metadata.height, hasAlpha: metadata.hasAlpha };
  };

  const balance = async (target = rialto): Promise<number> =>
    (await target.store.accounts.find('default'))!.usdBalance;

  const expectError = async (
    response: Response,
    status: number,
    error: string,
  ): Promise<Record<string, unknown>> => {
    assert.equal(response.status, status);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.error, error);
    return body;
  };

  before(async () => {
    input = await sharp(scene(512))
      .removeAlpha()
      .resize(256, 256, { kernel: 'cubic' })
      .png()
      .toBuffer();
    original2x = await rgbOf(await sharp(scene(512)).png().toBuffer());
    imageServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' }).end(input);
    });
    imageServer.listen(0, '127.0.0.1');
    await once(imageServer, 'listening');
    imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/input.png`;
    rialto = await startRialto({ models: [UPSCALER], fetch: { allowHosts: ['127.0.0.1'] } });
    // No allowHosts, and an empty account.
    strict = await startRialto({ models: [UPSCALER] }, { balanceUsd: 0 });
  });
  after(async () => {
    await rialto?.close();
    await strict?.close();
    imageServer?.close();
  });

  it('2× from JSON base64: a 512×512 PNG closer to the original than nearest-neighbour or bicubic, charged once at the 2x price', async () => {
    const before = await balance();
    // Unknown keys are ignored (UpscaleImageRequest is not strict); creativity is clamped, not refused.
    const response = await post(
      { image: input.toString('base64'), scale: 2, creativity: 5, enhance: true },
      rialto,
      { 'accept-encoding': 'gzip, br' },
    );
    assert.equal(response.headers.get('x-venice-model-id'), 'upscaler');
    assert.equal(response.headers.get('x-venice-model-name'), 'Upscaler');
    assert.equal(response.headers.get('x-venice-model-router'), 'esrgan');
    assert.equal(response.headers.get('content-encoding'), null);
    assert.ok(response.headers.get('x-request-id'));
    const { png, width, height, hasAlpha } = await upscaled(response);
    assert.deepEqual([width, height, hasAlpha], [512, 512, false]);
    const esrgan = psnr(await rgbOf(png), original2x);
    const nearest = psnr(
      await rgbOf(await sharp(input).resize(512, 512, { kernel: 'nearest' }).png().toBuffer()),
      original2x,
    );
    const bicubic = psnr(
      await rgbOf(await sharp(input).resize(512, 512, { kernel: 'cubic' }).png().toBuffer()),
      original2x,
    );
    assert.ok(
      esrgan > nearest + 0.5,
      `ESRGAN ${esrgan.toFixed(2)} dB, nearest ${nearest.toFixed(2)} dB`,
    );
    assert.ok(esrgan > bicubic, `ESRGAN ${esrgan.toFixed(2)} dB, bicubic ${bicubic.toFixed(2)} dB`);
    assert.equal(before - (await balance()), toNanos(0.02));
  });

  it('4× from a multipart file: a 1024×1024 PNG closer to the original than nearest-neighbour, charged at the 4x price', async () => {
    const small = await sharp(scene(1024))
      .removeAlpha()
      .resize(256, 256, { kernel: 'cubic' })
      .png()
      .toBuffer();
    const original = await rgbOf(await sharp(scene(1024)).png().toBuffer());
    const listRecords = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
    const earlier = new Set((await listRecords()).map((record) => record.id));
    const before = await balance();
    const { png, width, height } = await upscaled(
      await post(form({ image: small, scale: '4', creativity: '0.01' })),
    );
    assert.deepEqual([width, height], [1024, 1024]);
    const esrgan = psnr(await rgbOf(png), original);
    const nearest = psnr(
      await rgbOf(await sharp(small).resize(1024, 1024, { kernel: 'nearest' }).png().toBuffer()),
      original,
    );
    assert.ok(
      esrgan > nearest + 0.5,
      `ESRGAN ${esrgan.toFixed(2)} dB, nearest ${nearest.toFixed(2)} dB`,
    );
    assert.equal(before - (await balance()), toNanos(0.08));
    const added = (await listRecords()).filter((record) => !earlier.has(record.id));
    assert.deepEqual(
      added.map(({ modelId, modelType, status, amount }) => ({
        modelId,
        modelType,
        status,
        amount,
      })),
      [{ modelId: 'upscaler', modelType: 'upscale', status: 'completed', amount: toNanos(0.08) }],
    );
  });

  it('an http URL is fetched from an allowed host (the same result as the bytes); a JPEG data URL defaults to 2×', async () => {
    const fromUrl = await upscaled(await post({ image: imageUrl, scale: 2 }));
    const fromBytes = await upscaled(await post(form({ image: input })));
    assert.ok(fromUrl.png.equals(fromBytes.png));
    const jpeg = await sharp(scene(300)).jpeg({ quality: 85 }).toBuffer();
    const fromJpeg = await upscaled(
      await post({ image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }),
    );
    assert.deepEqual([fromJpeg.width, fromJpeg.height], [600, 600]);
  });

  it('keeps transparency: an RGBA PNG comes back RGBA, its transparent corner still transparent', async () => {
    const rgba = await sharp(input)
      .ensureAlpha()
      .composite([
        {
          input: Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
          ),
          blend: 'dest-out',
          top: 0,
          left: 0,
        },
      ])
      .png()
      .toBuffer();
    const { png, hasAlpha, width } = await upscaled(await post(form({ image: rgba, scale: '2' })));
    assert.deepEqual([hasAlpha, width], [true, 512]);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const alphaAt = (x: number, y: number): number => data[(y * 512 + x) * 4 + 3]!;
    assert.equal(alphaAt(20, 20), 0);
    assert.equal(alphaAt(300, 300), 255);
  });

  it('refuses a private-address URL unless the operator allows the host', async () => {
    const body = await expectError(
      await post({ image: imageUrl }, strict),
      400,
      'Could not fetch image: the URL points to a private address',
    );
    validateResponse({ method: 'POST', path: PATH, status: 400, body });
    assert.deepEqual(body.details, { image: { _errors: ['the URL points to a private address'] } });
  });

  it('corrupt images are 400 CORRUPTED_IMAGE and cost nothing', async () => {
    const before = await balance();
    const truncated = input.subarray(0, 2000);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251));
    for (const image of [
      garbage.toString('base64'),
      truncated.toString('base64'),
      'not base64 at all!',
      `data:image/png;base64,${garbage.toString('base64')}`,
    ]) {
      const body = await expectError(
        await post({ image }),
        400,
        'The image file is corrupted or unreadable',
      );
      validateResponse({ method: 'POST', path: PATH, status: 400, body });
    }
    await expectError(
      await post(form({ image: truncated })),
      400,
      'The image file is corrupted or unreadable',
    );
    assert.equal(await balance(), before);
  });

  it('image size limits: under 65,536 pixels is 400 IMAGE_TOO_SMALL; over 4,194,304 (16,777,216 at 2×) is 422 IMAGE_TOO_LARGE; over 25 MB is 413', async () => {
    const small = await sharp(input).resize(255, 256, { fit: 'fill' }).png().toBuffer();
    const tooSmall = await expectError(
      await post({ image: small.toString('base64') }),
      400,
      'Image dimensions are too small',
    );
    validateResponse({ method: 'POST', path: PATH, status: 400, body: tooSmall });
    assert.deepEqual(tooSmall.details, {
      image: {
        _errors: ['The image is 255x256 (65280 pixels); at least 65536 pixels are required'],
      },
    });
    // 256×256 is the smallest accepted.
    assert.equal(
      (await sharp(input).metadata()).width * (await sharp(input).metadata()).height,
      65_536,
    );

    const large = await sharp({
      create: { width: 2049, height: 2048, channels: 3, background: '#336699' },
    })
      .png()
      .toBuffer();
    const tooLarge = await expectError(
      await post(form({ image: large, scale: '4' })),
      422,
      'Image dimensions exceed the maximum allowed.',
    );
    validateSchema('DetailedError', tooLarge);

    const huge = await expectError(
      await post(form({ image: Buffer.alloc(26 * 1024 * 1024, 7) })),
      413,
      'The request payload is too large. Please reduce the size of your request.',
    );
    validateSchema('StandardError', huge);
  });

  it('validation: scale must be 2 or 4 (3 too), numbers in multipart must be numbers, image is required', async () => {
    for (const scale of [3, 1, 8, 2.5]) {
      const body = await expectError(
        await post({ image: input.toString('base64'), scale }),
        400,
        'Invalid request parameters',
      );
      validateResponse({ method: 'POST', path: PATH, status: 400, body });
      assert.deepEqual(body.details, {
        _errors: [],
        scale: { _errors: ['Scale must be either 2 or 4'] },
      });
    }
    const word = await expectError(
      await post(form({ image: input, scale: 'four' })),
      400,
      'Invalid request parameters',
    );
    assert.deepEqual(Object.keys(word.details as object), ['_errors', 'scale']);
    const creativity = await expectError(
      await post({ image: input.toString('base64'), creativity: 'lots' }),
      400,
      'Invalid request parameters',
    );
    assert.deepEqual(Object.keys(creativity.details as object), ['_errors', 'creativity']);
    const missing = await expectError(await post({ scale: 2 }), 400, 'Invalid request parameters');
    assert.deepEqual(missing.details, { _errors: [], image: { _errors: ['Required'] } });
    const wrongType = await expectError(
      await post({ image: 42 }),
      400,
      'Invalid request parameters',
    );
    assert.deepEqual(Object.keys(wrongType.details as object), ['_errors', 'image']);
  });

  it('an empty account gets 402 before anything is computed', async () => {
    await expectError(
      await post({ image: input.toString('base64') }, strict),
      402,
      'Insufficient USD or Diem balance to complete request. Visit https://venice.ai/settings/api to add credits.',
    );
  });

  it('GET /models?type=upscale lists the model with its per-factor prices (swagger ModelResponse); traits name it the default', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=upscale`);
    const body = (await response.json()) as {
      data: {
        id: string;
        type: string;
        model_spec: { pricing: Record<string, unknown>; name: string };
      }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    assert.deepEqual(
      body.data.map(({ id, type }) => ({ id, type })),
      [{ id: 'upscaler', type: 'upscale' }],
    );
    assert.deepEqual(body.data[0]!.model_spec.pricing, {
      generation: { usd: 0, diem: 0 },
      upscale: PRICES,
    });
    assert.equal(body.data[0]!.model_spec.name, 'Upscaler');
    const traits = (await (await fetch(`${rialto.baseURL}/models/traits?type=upscale`)).json()) as {
      data: Record<string, string>;
    };
    assert.deepEqual(traits.data, { default: 'upscaler' });
  });
});
