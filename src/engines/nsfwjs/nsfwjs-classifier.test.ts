// NsfwjsClassifier on the MobileNetV2 weights that ship inside the nsfwjs package, in its worker thread.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { NsfwjsClassifier } from './nsfwjs-classifier.ts';

/** A 300×200 picture: a flat colour with a white disc, in PNG. */
function picture(r: number, g: number, b: number): Promise<Buffer> {
  const disc = Buffer.from(
    '<svg width="300" height="200"><circle cx="150" cy="100" r="60" fill="white"/></svg>',
  );
  return sharp({ create: { width: 300, height: 200, channels: 3, background: { r, g, b } } })
    .composite([{ input: disc }])
    .png()
    .toBuffer();
}

describe('NsfwjsClassifier', () => {
  const classifier = new NsfwjsClassifier();
  after(() => classifier.close());

  it('scores images as probabilities, the same image alike, different images differently', async () => {
    const [skin, grass] = await Promise.all([picture(224, 172, 150), picture(30, 140, 50)]);
    const scores = await Promise.all([
      classifier.adultScore(skin),
      classifier.adultScore(grass),
      classifier.adultScore(skin),
    ]);
    for (const score of scores) assert.ok(score > 0 && score < 1, `a probability: ${score}`);
    assert.equal(scores[0], scores[2], 'deterministic');
    assert.notEqual(scores[0], scores[1]);
  });

  it('reads any format sharp reads, with alpha, and any size; starts a fresh thread after close', async () => {
    const webp = await sharp(await picture(200, 60, 60))
      .resize(97, 513)
      .ensureAlpha(0.5)
      .webp()
      .toBuffer();
    const before = await classifier.adultScore(webp);
    await classifier.close();
    assert.equal(await classifier.adultScore(webp), before);
  });

  it('refuses what is not an image', async () => {
    await assert.rejects(classifier.adultScore(Buffer.from('not an image')));
  });
});
