// rialto-test: sqlite-only
// Hostile images on the endpoints that decode a client's image (issue #15): a few hundred bytes of SVG that
// render for seconds (each level of <use> multiplies the work by ten), a PNG whose header claims 400 megapixels,
// and a burst of 33-megapixel images. Each is refused or queued without decoding more than the caps allow,
// while /health keeps answering.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { writeTinyOnnx } from '../fixtures/tiny-onnx.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startOpenAiImagesServer,
  type OpenAiImagesServer,
} from '../support/upstream/openai-images-server.ts';

const FREE = { usd: 0, diem: 0 };
const PRICING = { input: FREE, output: FREE };

/** 256×256 (the least /image/upscale takes) of ten filtered squares drawn through one level of <use>: ~500 bytes, seconds to render. */
function filterBomb(levels = 1): Buffer {
  const uses = (id: string): string =>
    Array.from({ length: 10 }, () => `<use href="#${id}"/>`).join('');
  let groups = '<g id="l0"><rect width="256" height="256" filter="url(#f)" opacity="0.5"/></g>';
  for (let level = 1; level <= levels; level += 1)
    groups += `<g id="l${level}">${uses(`l${level - 1}`)}</g>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><defs><filter id="f" x="0" y="0" width="1" height="1">` +
      `<feTurbulence baseFrequency="0.05" numOctaves="8"/><feGaussianBlur stdDeviation="20"/></filter>${groups}</defs><use href="#l${levels}"/></svg>`,
  );
}

/** A small PNG whose IHDR (and its CRC) is rewritten to claim width × height: a decompression bomb's header. */
async function claimedSize(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#204080' } })
    .png()
    .toBuffer();
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), … CRC over type and data at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('hostile images on /image/upscale, /image/edit and /image/background-remove', () => {
  let rialto: TestRialto;
  let upstream: OpenAiImagesServer;
  let down: OpenAiImagesServer;
  let dataDirectory: string;

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  const health = async (): Promise<number> => (await fetch(`${rialto.origin}/health`)).status;

  before(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-hostile-images-'));
    await writeTinyOnnx(join(dataDirectory, 'models', 'saliency.onnx'), { size: 64 });
    upstream = await startOpenAiImagesServer({ models: ['gpt-image-1'] });
    down = await startOpenAiImagesServer();
    await down.down();
    const editModel = (id: string, server: OpenAiImagesServer) => ({
      id,
      type: 'inpaint',
      engine: {
        kind: 'openai-compatible',
        endpoints: [{ url: server.url, name: id }],
        model: 'gpt-image-1',
      },
      pricing: PRICING,
    });
    rialto = await startRialto({
      dataDirectory,
      models: [
        {
          id: 'upscaler',
          type: 'upscale',
          engine: { kind: 'esrgan', tileSize: 128, concurrency: 1 },
          pricing: { ...PRICING, upscale: { '2x': FREE, '4x': FREE } },
        },
        {
          id: 'bg-remover',
          type: 'image',
          engine: { kind: 'onnx-background-removal', path: 'saliency.onnx', threads: 1 },
          pricing: { ...PRICING, generation: FREE },
        },
        editModel('edit-live', upstream),
        editModel('edit-down', down),
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await upstream?.close();
    await down?.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('an SVG of stacked filters is 400 CORRUPTED_IMAGE on all three, never rendered nor sent upstream, while /health answers', async () => {
    const svg = filterBomb().toString('base64');
    const sent = upstream.requests.length;
    const answers = Promise.all([
      post('/image/upscale', { image: svg, scale: 2 }),
      post('/image/edit', { model: 'edit-live', prompt: 'make it blue', image: svg }),
      post('/image/background-remove', { image: svg }),
    ]);
    assert.equal(await health(), 200);
    for (const response of await answers) {
      const body = (await response.json()) as {
        error: string;
        details?: Record<string, { _errors: string[] }>;
      };
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.error, 'The image file is corrupted or unreadable');
      assert.match(body.details?.image?._errors[0] ?? '', /SVG images are not accepted/);
    }
    assert.equal(upstream.requests.length, sent);
    assert.equal(await health(), 200);
  });

  it('a PNG whose header claims 20000×20000 is refused from its header alone (422 IMAGE_TOO_LARGE) on all three', async () => {
    const bomb = (await claimedSize(20_000, 20_000)).toString('base64');
    const answers = await Promise.all([
      post('/image/upscale', { image: bomb, scale: 2 }),
      post('/image/edit', { model: 'edit-live', prompt: 'make it blue', image: bomb }),
      post('/image/background-remove', { image: bomb }),
    ]);
    for (const response of answers) {
      const body = (await response.json()) as { error: string };
      assert.equal(response.status, 422, JSON.stringify(body));
      assert.equal(body.error, 'Image dimensions exceed the maximum allowed.');
    }
    assert.equal(await health(), 200);
  });

  it('a burst of 33-megapixel images: at most mediaLimits.image.concurrency (2) sharp tasks queued or running at any moment', async () => {
    // 5700×5700 of one colour: a 450 KB PNG that decodes to 97 MB of pixels.
    const large = (
      await sharp({ create: { width: 5700, height: 5700, channels: 3, background: '#3a6e9f' } })
        .png()
        .toBuffer()
    ).toString('base64');
    // sharp.counters() reads its two counters one after the other while a pool thread moves a task from `queue` to
    // `process`, so their sum can count one task twice: each is judged alone (with the limit broken, 8 decodes fill
    // libuv's 4 threads and the queue behind them).
    let most = 0;
    let mostQueued = 0;
    let mostRunning = 0;
    const sampler = setInterval(() => {
      const { queue, process } = sharp.counters();
      mostQueued = Math.max(mostQueued, queue);
      mostRunning = Math.max(mostRunning, process);
      most = Math.max(most, queue + process);
    }, 1);
    try {
      // The upstream is down: each edit decodes its image, then fails at the engine (no sharp call in this process but Rialto's).
      const answers = Promise.all(
        Array.from({ length: 8 }, () =>
          post('/image/edit', { model: 'edit-down', prompt: 'make it blue', image: large }),
        ),
      );
      assert.equal(await health(), 200);
      for (const response of await answers)
        assert.equal(response.status, 503, await response.text());
    } finally {
      clearInterval(sampler);
    }
    assert.ok(most >= 1, 'the sampler saw the decodes');
    assert.ok(
      mostRunning <= 2 && mostQueued <= 2,
      `${mostRunning} sharp tasks running and ${mostQueued} queued at once`,
    );
  });
});
