// POST /image/edit and /image/multi-edit on the other inpaint engine, AUTOMATIC1111's img2img
// (src/engines/automatic1111/), against its double (test/support/upstream/automatic1111-server.ts): the
// same service sizes, converts and bills the edit whichever engine runs it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  colorOf,
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import { ledger, near, pixel, postJson, solid } from './image-edit-support.ts';

const PRICE = 0.02;
const STRENGTH = 0.5;

describe('POST /image/edit on automatic1111 (img2img)', () => {
  let a1111: Automatic1111Server;
  let rialto: TestRialto;
  before(async () => {
    a1111 = await startAutomatic1111Server();
    rialto = await startRialto({
      models: [
        {
          id: 'edit-sd',
          type: 'inpaint',
          engine: {
            kind: 'automatic1111',
            endpoints: [{ url: a1111.url }],
            denoisingStrength: STRENGTH,
          },
          pricing: {
            input: { usd: 0, diem: 0 },
            output: { usd: 0, diem: 0 },
            inpaint: { usd: PRICE, diem: PRICE },
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await a1111?.close();
  });

  it("the image goes to img2img at the output size; the answer is the input under the seed's colour, billed once", async () => {
    const { balance: before } = await ledger(rialto);
    const red = await solid([255, 0, 0]);
    const response = await postJson(rialto, '/image/edit', {
      image: red.toString('base64'),
      prompt: 'a red wall at dusk',
      output_format: 'png',
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(
      response.headers.get('x-venice-model-router'),
      `automatic1111/${new URL(a1111.url).host}`,
    );
    const image = Buffer.from(await response.arrayBuffer());
    const metadata = await sharp(image).metadata();
    // No listed aspect ratios: the input's 4:3 at 1K.
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1024, 768]);
    const job = a1111.jobs('/sdapi/v1/img2img').at(-1)!;
    assert.deepEqual(
      [job.width, job.height, job.prompt, job.denoising_strength],
      [1024, 768, 'a red wall at dusk', STRENGTH],
    );
    const sentImage = Buffer.from((job.init_images as string[])[0]!, 'base64');
    assert.ok(sentImage.equals(red));
    const veil = colorOf(job.seed as number, 'a red wall at dusk');
    const expected = [
      255 * (1 - STRENGTH) + veil.r * STRENGTH,
      veil.g * STRENGTH,
      veil.b * STRENGTH,
    ];
    assert.ok(
      near(await pixel(image, 100, 100), expected),
      `${String(await pixel(image, 100, 100))} vs ${String(expected)}`,
    );
    assert.equal(before - (await ledger(rialto)).balance, toNanos(PRICE));
  });

  it("multi-edit: the layers are composited over the base into img2img's one init image", async () => {
    const base = await solid([255, 0, 0], 640, 640);
    const layer = await solid([0, 0, 255], 320, 320);
    const response = await postJson(rialto, '/image/multi-edit', {
      modelId: 'edit-sd',
      prompt: 'blue square',
      images: [base.toString('base64'), layer.toString('base64')],
    });
    assert.equal(response.status, 200, await response.clone().text());
    const init = Buffer.from(
      (a1111.jobs('/sdapi/v1/img2img').at(-1)!.init_images as string[])[0]!,
      'base64',
    );
    // The layer is fitted inside the base (contain): it covers the base entirely.
    assert.deepEqual(await pixel(init, 320, 320), [0, 0, 255]);
  });

  it('an img2img failure is 500 IMAGE_EDIT_ERROR and costs nothing', async () => {
    const { balance: before } = await ledger(rialto);
    a1111.behavior = {
      failWith: {
        status: 500,
        body: { error: 'RuntimeError', detail: 'CUDA out of memory', body: '', errors: '' },
      },
    };
    try {
      const response = await postJson(rialto, '/image/edit', {
        image: (await solid([1, 2, 3])).toString('base64'),
        prompt: 'x',
      });
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), { error: 'Image edit failed' });
    } finally {
      a1111.behavior = {};
    }
    assert.equal((await ledger(rialto)).balance, before);
  });
});
