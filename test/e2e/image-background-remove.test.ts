// rialto-test: sqlite-only
// POST /image/background-remove on the real onnx-background-removal engine (onnxruntime-node) with the
// tiny ONNX model of test/fixtures/tiny-onnx.ts: JSON (base64, data URL), multipart and image_url inputs,
// the transparent PNG it answers, validation, size limits, billing, headers and the model listing.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { writeTinyOnnx } from '../fixtures/tiny-onnx.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';

const PATH = '/image/background-remove';
const PRICE = 0.03;
const WIDTH = 120;
const HEIGHT = 90;
const RADIUS = 30;
const MODEL = {
  id: 'bg-remover',
  name: 'Background Remover',
  type: 'image',
  engine: { kind: 'onnx-background-removal', path: 'saliency.onnx', threads: 1 },
  pricing: {
    input: { usd: 0, diem: 0 },
    output: { usd: 0, diem: 0 },
    generation: { usd: PRICE, diem: PRICE },
  },
};

/** A saturated red disc on mid grey, RGB. */
function discPixels(width = WIDTH, height = HEIGHT): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let pixel = 0; pixel < width * height; pixel += 1) {
    const inside =
      Math.hypot((pixel % width) - width / 2, Math.floor(pixel / width) - height / 2) <= RADIUS;
    data.set(inside ? [215, 30, 25] : [128, 128, 128], pixel * 3);
  }
  return data;
}

const encode = (format: 'png' | 'jpeg', width = WIDTH, height = HEIGHT): Promise<Buffer> =>
  sharp(discPixels(width, height), { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();

interface Cutout {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

async function decodeCutout(png: Buffer): Promise<Cutout> {
  const metadata = await sharp(png).metadata();
  assert.equal(metadata.format, 'png');
  assert.equal(metadata.hasAlpha, true);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, pixels: data };
}

/** Mean alpha well inside the disc and well outside it; the colour at the centre. */
function alphaOf(cutout: Cutout): { disc: number; background: number; centre: number[] } {
  const sums = { disc: [0, 0], background: [0, 0] };
  for (let pixel = 0; pixel < cutout.width * cutout.height; pixel += 1) {
    const distance = Math.hypot(
      (pixel % cutout.width) - cutout.width / 2,
      Math.floor(pixel / cutout.width) - cutout.height / 2,
    );
    const alpha = cutout.pixels[pixel * 4 + 3]!;
    const bucket =
      distance <= RADIUS - 8 ? sums.disc : distance >= RADIUS + 8 ? sums.background : undefined;
    if (bucket !== undefined) [bucket[0], bucket[1]] = [bucket[0]! + alpha, bucket[1]! + 1];
  }
  const centre = (Math.floor(cutout.height / 2) * cutout.width + Math.floor(cutout.width / 2)) * 4;
  return {
    disc: sums.disc[0]! / sums.disc[1]!,
    background: sums.background[0]! / sums.background[1]!,
    centre: [...cutout.pixels.subarray(centre, centre + 4)],
  };
}

async function assertCutout(response: Response, width = WIDTH, height = HEIGHT): Promise<void> {
  assert.equal(response.status, 200, response.status === 200 ? '' : await response.clone().text());
  assert.equal(response.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await response.arrayBuffer());
  validateResponse({
    method: 'POST',
    path: PATH,
    status: 200,
    contentType: 'image/png',
    body: png,
  });
  const cutout = await decodeCutout(png);
  assert.deepEqual([cutout.width, cutout.height, cutout.channels], [width, height, 4]);
  const { disc, background, centre } = alphaOf(cutout);
  assert.ok(disc > 230, `alpha on the disc: ${disc}`);
  assert.ok(background < 20, `alpha on the background: ${background}`);
  assert.ok(
    centre[0]! > 180 && centre[1]! < 70 && centre[2]! < 70,
    `the disc keeps its colour: ${centre.join(',')}`,
  );
}

/** A 127.0.0.1 server for image_url: /disc.png, /page.html, /huge.png (26 MB). */
async function startImageServer(png: Buffer): Promise<{ server: Server; origin: string }> {
  const huge = Buffer.alloc(26 * 1024 * 1024);
  const server = createServer((request, response) => {
    const [type, body] =
      request.url === '/disc.png'
        ? ['image/png', png]
        : request.url === '/huge.png'
          ? ['image/png', huge]
          : ['text/html', Buffer.from('<p>not an image</p>')];
    response.writeHead(request.url === '/missing.png' ? 404 : 200, {
      'content-type': type,
      'content-length': body.length,
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('POST /image/background-remove (onnx-background-removal)', () => {
  let rialto: TestRialto;
  let dataDirectory: string;
  let png: Buffer;
  let images: { server: Server; origin: string };

  const post = (
    body: unknown,
    target = rialto,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${target.baseURL}${PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.inferenceKey}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const postForm = (fields: Record<string, string | Buffer>): Promise<Response> => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value], { type: 'image/jpeg' }), 'photo.jpg');
    }
    return fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body: form,
    });
  };
  const errorOf = async (
    response: Response,
    status: number,
  ): Promise<{
    error: string;
    details?: Record<string, { _errors: string[] }> & { _errors: string[] };
  }> => {
    const body = (await response.json()) as {
      error: string;
      details?: Record<string, { _errors: string[] }> & { _errors: string[] };
    };
    assert.equal(response.status, status, JSON.stringify(body));
    if (status === 400) validateResponse({ method: 'POST', path: PATH, status, body });
    else validateSchema('StandardError', body);
    return body;
  };
  const listRecords = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });

  before(async () => {
    png = await encode('png');
    images = await startImageServer(png);
    // The model lies in <dataDirectory>/models and is named by a relative path, as an operator would.
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-bg-test-'));
    await writeTinyOnnx(join(dataDirectory, 'models', 'saliency.onnx'), { size: 64 });
    rialto = await startRialto({
      dataDirectory,
      models: [MODEL],
      fetch: { allowHosts: ['127.0.0.1'] },
    });
  });
  after(async () => {
    await rialto?.close();
    await new Promise((resolve) => images?.server.close(resolve));
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it("JSON base64: a PNG of the input's size whose alpha is the foreground (the disc), never compressed, with model headers", async () => {
    const response = await post({ image: png.toString('base64') }, rialto, {
      'accept-encoding': 'gzip, br',
    });
    assert.equal(response.headers.get('content-encoding'), null);
    assert.equal(response.headers.get('x-venice-model-id'), 'bg-remover');
    assert.equal(response.headers.get('x-venice-model-name'), 'Background Remover');
    assert.equal(response.headers.get('x-venice-model-router'), 'onnx-background-removal');
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f]{16}-RLT$/);
    await assertCutout(response);
  });

  it('a data URL in image, and one in image_url', async () => {
    await assertCutout(await post({ image: `data:image/png;base64,${png.toString('base64')}` }));
    await assertCutout(
      await post({ image_url: `data:image/png;base64,${png.toString('base64')}` }),
    );
  });

  it('multipart: a JPEG file part, of another size; and base64 in a text field', async () => {
    await assertCutout(await postForm({ image: await encode('jpeg', 160, 100) }), 160, 100);
    await assertCutout(await postForm({ image: png.toString('base64') }));
  });

  it('image_url from a 127.0.0.1 server that config.fetch.allowHosts lists', async () => {
    await assertCutout(await post({ image_url: `${images.origin}/disc.png` }));
  });

  it('image_url that is no image, unreachable or over 25 MB: 400, 400, 413', async () => {
    const html = await errorOf(await post({ image_url: `${images.origin}/page.html` }), 400);
    assert.match(html.error, /Could not fetch image_url: the URL serves text\/html/);
    const missing = await errorOf(await post({ image_url: `${images.origin}/missing.png` }), 400);
    assert.match(missing.error, /the server answered 404/);
    await errorOf(await post({ image_url: `${images.origin}/huge.png` }), 413);
  });

  it('strict body: an unknown key is 400 "Unrecognized key(s) in object"', async () => {
    const body = await errorOf(
      await post({ image: png.toString('base64'), background: 'white' }),
      400,
    );
    assert.equal(body.error, 'Invalid request parameters');
    assert.deepEqual(body.details?._errors, ["Unrecognized key(s) in object: 'background'"]);
  });

  it('any model field is 400 "invalid model id" (the endpoint has one fixed model), in JSON and in a form', async () => {
    for (const model of ['bria-bg-remover', 'bg-remover']) {
      const body = await errorOf(await post({ image: png.toString('base64'), model }), 400);
      assert.equal(body.error, 'invalid model id');
      assert.deepEqual(body.details?.model?._errors, ['invalid model id']);
    }
    assert.equal(
      (await errorOf(await postForm({ image: png, model: 'bria-bg-remover' }), 400)).error,
      'invalid model id',
    );
  });

  it('exactly one of image and image_url: both, or neither, is 400', async () => {
    const both = await errorOf(
      await post({ image: png.toString('base64'), image_url: `${images.origin}/disc.png` }),
      400,
    );
    assert.deepEqual(both.details?._errors, ['Provide either image or image_url, not both']);
    const neither = await errorOf(await post({}), 400);
    assert.deepEqual(neither.details?.image?._errors, [
      'Provide either image or image_url; neither was given',
    ]);
    const notUrl = await errorOf(await post({ image_url: 'ftp://example.com/a.png' }), 400);
    assert.ok(notUrl.details?.image_url !== undefined);
  });

  it('a corrupt image is 400 CORRUPTED_IMAGE, as base64 and as a file; nothing is charged', async () => {
    const before = (await listRecords()).length;
    const garbage = Buffer.from('this is not an image at all, just some text bytes');
    assert.equal(
      (await errorOf(await post({ image: garbage.toString('base64') }), 400)).error,
      'The image file is corrupted or unreadable',
    );
    assert.equal(
      (await errorOf(await postForm({ image: garbage }), 400)).error,
      'The image file is corrupted or unreadable',
    );
    assert.equal(
      (await errorOf(await post({ image: png.subarray(0, 60).toString('base64') }), 400)).error,
      'The image file is corrupted or unreadable',
    );
    assert.equal((await listRecords()).length, before);
  });

  it('a file over 25 MB is 413 PAYLOAD_TOO_LARGE', async () => {
    const body = await errorOf(await postForm({ image: Buffer.alloc(25 * 1024 * 1024 + 1) }), 413);
    assert.equal(
      body.error,
      'The request payload is too large. Please reduce the size of your request.',
    );
  });

  it('more than 33,177,600 pixels is 422 IMAGE_TOO_LARGE', async () => {
    const wide = await sharp({
      create: { width: 8160, height: 4096, channels: 3, background: '#808080' },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await errorOf(await post({ image: wide.toString('base64') }), 422);
  });

  it('bills pricing.generation once per image, as a completed image request', async () => {
    const earlier = new Set((await listRecords()).map((record) => record.id));
    await assertCutout(await post({ image: png.toString('base64') }));
    const added = (await listRecords()).filter((record) => !earlier.has(record.id));
    assert.equal(added.length, 1);
    assert.equal(added[0]!.modelId, 'bg-remover');
    assert.equal(added[0]!.modelType, 'image');
    assert.equal(added[0]!.status, 'completed');
    assert.equal(added[0]!.amount, toNanos(PRICE));
  });

  it('401 without a key', async () => {
    const response = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: png.toString('base64') }),
    });
    assert.equal(response.status, 401);
    validateResponse({ method: 'POST', path: PATH, status: 401, body: await response.json() });
  });

  it('GET /models?type=image lists the remover with its per-image price, as the swagger says; it is not the image default', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=image`);
    const body = (await response.json()) as {
      data: {
        id: string;
        type: string;
        model_spec: { name: string; pricing: Record<string, unknown> };
      }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const remover = body.data.find((model) => model.id === 'bg-remover');
    assert.equal(remover?.type, 'image');
    assert.equal(remover?.model_spec.name, 'Background Remover');
    assert.deepEqual(remover?.model_spec.pricing.generation, { usd: PRICE, diem: PRICE });
    assert.equal(rialto.registry.traits('image').default, undefined);
  });

  it('without allowHosts a 127.0.0.1 image_url is refused; an account that cannot pay gets 402', async () => {
    const absolute = {
      ...MODEL,
      engine: { ...MODEL.engine, path: join(dataDirectory, 'models', 'saliency.onnx') },
    };
    const strict = await startRialto({ models: [absolute] }, { balanceUsd: 0 });
    try {
      const refused = await errorOf(
        await post({ image_url: `${images.origin}/disc.png` }, strict),
        400,
      );
      assert.equal(refused.error, 'Could not fetch image_url: the URL points to a private address');
      const response = await post({ image: png.toString('base64') }, strict);
      assert.equal(response.status, 402);
      validateResponse({ method: 'POST', path: PATH, status: 402, body: await response.json() });
    } finally {
      await strict.close();
    }
  });

  it('a server with no background-removal model answers 404 MODEL_NOT_FOUND', async () => {
    const bare = await startRialto({ models: [] });
    try {
      const body = await errorOf(await post({ image: png.toString('base64') }, bare), 404);
      assert.match(body.error, /^Specified model not found/);
    } finally {
      await bare.close();
    }
  });
});
