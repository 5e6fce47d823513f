// rialto-test: sqlite-only
// Safe Mode on generated images (INVENTORY §1.1 safe_mode: "Blurs adult content. Sets x-venice-is-blurred"), with
// the real nsfwjs classifier: /image/generate with safe_mode, /images/generations with moderation "auto" (and
// "low", which never blurs). The classifier's threshold is the operator's: one Rialto blurs everything it scores
// (threshold 0), one nothing (threshold 1), one never runs the classifier (classifier none), on the same images.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import { imageModels, postGenerate } from './image-generate-support.ts';

/** Sum of squared differences between horizontal neighbours, in grey: how sharp its edges are (a blur spreads a step, shrinking it). */
async function edgeEnergy(image: Buffer): Promise<number> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 1; x < info.width; x++)
      sum += (data[y * info.width + x]! - data[y * info.width + x - 1]!) ** 2;
  }
  return sum;
}

describe('Safe Mode on generated images (nsfwjs)', () => {
  let a1111: Automatic1111Server;
  let blurAll: TestRialto;
  let blurNone: TestRialto;
  let unclassified: TestRialto;

  before(async () => {
    a1111 = await startAutomatic1111Server();
    const models = imageModels(a1111.url);
    [blurAll, blurNone, unclassified] = await Promise.all([
      startRialto({ models, contentSafety: { threshold: 0 } }),
      startRialto({ models, contentSafety: { threshold: 1 } }),
      startRialto({ models, contentSafety: { classifier: 'none' } }),
    ]);
  });
  after(async () => {
    await Promise.all([blurAll, blurNone, unclassified].map((rialto) => rialto?.close()));
    await a1111?.close();
  });

  /** The same picture (seed and prompt) from `rialto`, with `safe_mode`; the image and x-venice-is-blurred. */
  async function generate(
    rialto: TestRialto,
    safeMode: boolean,
  ): Promise<{ image: Buffer; blurred: string | null }> {
    const response = await postGenerate(rialto, {
      model: 'sd-a1111',
      prompt: 'a lighthouse',
      seed: 42,
      format: 'png',
      safe_mode: safeMode,
    });
    const body = (await response.json()) as { images: string[] };
    assert.equal(response.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/image/generate', status: 200, body });
    return {
      image: Buffer.from(body.images[0]!, 'base64'),
      blurred: response.headers.get('x-venice-is-blurred'),
    };
  }

  it('/image/generate: an image scored at or above the threshold is blurred and flagged; below it, or with safe_mode false, it is untouched', async () => {
    const original = await generate(unclassified, true);
    assert.equal(original.blurred, 'false', 'no classifier: nothing is blurred');
    const blurred = await generate(blurAll, true);
    assert.equal(blurred.blurred, 'true');
    const metadata = await sharp(blurred.image).metadata();
    assert.deepEqual(
      [metadata.format, metadata.width, metadata.height],
      ['png', 512, 512],
      'same format and size',
    );
    assert.ok(
      (await edgeEnergy(blurred.image)) < (await edgeEnergy(original.image)) / 10,
      'the blur removes the edges',
    );
    for (const [rialto, safeMode] of [
      [blurAll, false],
      [blurNone, true],
    ] as const) {
      const kept = await generate(rialto, safeMode);
      assert.equal(kept.blurred, 'false');
      assert.ok(kept.image.equals(original.image), 'the image is the engine’s, unblurred');
    }
  });

  it('/images/generations: moderation "auto" (the default) blurs like safe_mode; "low" never does', async () => {
    for (const [moderation, expected] of [
      [undefined, 'true'],
      ['auto', 'true'],
      ['low', 'false'],
    ] as const) {
      const { response, data } = await blurAll.client.images
        .generate({
          model: 'sd-a1111',
          prompt: 'a harbour',
          size: '256x256',
          ...(moderation === undefined ? {} : { moderation }),
        })
        .withResponse();
      validateResponse({ method: 'POST', path: '/images/generations', status: 200, body: data });
      assert.equal(
        response.headers.get('x-venice-is-blurred'),
        expected,
        `moderation ${moderation}`,
      );
    }
  });
});
