import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EngineError } from '../engine-error.ts';
import { referenceImageOf } from './openai-video-form.ts';

const SETTINGS = { seconds: 4, width: 1280, height: 720 };
const dataUrl = (bytes: Buffer, type = 'image/png'): string =>
  `data:${type};base64,${bytes.toString('base64')}`;

async function refusal(imageUrl: string): Promise<EngineError> {
  const error = await referenceImageOf(imageUrl, SETTINGS).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof EngineError, String(error));
  assert.equal(error.failure, 'bad_request');
  return error;
}

describe('referenceImageOf on a client image', () => {
  it('scales a PNG to the video size', async () => {
    const png = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#808000' },
    })
      .png()
      .toBuffer();
    const blob = await referenceImageOf(dataUrl(png), SETTINGS);
    const metadata = await sharp(Buffer.from(await blob!.arrayBuffer())).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1280, 720]);
  });

  it('refuses past mediaLimits.image.maxPixels (40 MP) from the header, before decoding: a 7000×7000 PNG of 49 MP', async () => {
    const large = await sharp({
      create: { width: 7000, height: 7000, channels: 3, background: '#808000' },
    })
      .png()
      .toBuffer();
    assert.match(
      (await refusal(dataUrl(large))).message,
      /7000x7000 \(49000000 pixels\); at most 40000000 pixels are accepted/,
    );
  });

  it('refuses SVG, which librsvg would render', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480"/></svg>',
    );
    assert.match(
      (await refusal(dataUrl(svg, 'image/svg+xml'))).message,
      /SVG images are not accepted/,
    );
  });
});
