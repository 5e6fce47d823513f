import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { VeniceError } from '../../errors/venice-error.ts';
import { convertImage, encodeRawImage, readImageInput, toRawImage } from './image-input.ts';

const png = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VeniceError, String(error));
    return error.code;
  }
  assert.fail('expected a rejection');
}

describe('readImageInput', () => {
  it('reads bytes, base64 and data URLs alike', async () => {
    const image = await png(300, 200);
    for (const value of [
      image,
      image.toString('base64'),
      `data:image/png;base64,${image.toString('base64')}`,
      image.toString('base64url'),
    ]) {
      const decoded = await readImageInput(value, { field: 'image' });
      assert.deepEqual(
        [decoded.width, decoded.height, decoded.format, decoded.hasAlpha],
        [300, 200, 'png', false],
      );
    }
  });

  it('names each bad input with the spec code', async () => {
    const image = await png(300, 200);
    assert.equal(
      await codeOf(readImageInput('not base64 at all!', { field: 'image' })),
      'CORRUPTED_IMAGE',
    );
    assert.equal(
      await codeOf(
        readImageInput(Buffer.from('GIF89a but not really an image'), { field: 'image' }),
      ),
      'CORRUPTED_IMAGE',
    );
    assert.equal(
      await codeOf(readImageInput(image.subarray(0, 40), { field: 'image' })),
      'CORRUPTED_IMAGE',
    );
    const noisy = await sharp(
      Buffer.from(Array.from({ length: 300 * 200 * 3 }, (_, index) => (index * 7919) % 251)),
      { raw: { width: 300, height: 200, channels: 3 } },
    )
      .png()
      .toBuffer();
    assert.equal((await readImageInput(noisy, { field: 'image' })).width, 300);
    assert.equal(
      await codeOf(
        readImageInput(noisy.subarray(0, Math.floor(noisy.length * 0.7)), { field: 'image' }),
      ),
      'CORRUPTED_IMAGE',
    );
    assert.equal(
      await codeOf(readImageInput('data:image/png,rawtext', { field: 'image' })),
      'CORRUPTED_IMAGE',
    );
    assert.equal(
      await codeOf(readImageInput(image, { field: 'image', minPixels: 65_536 })),
      'IMAGE_TOO_SMALL',
    );
    assert.equal(
      await codeOf(readImageInput(image, { field: 'image', maxPixels: 50_000 })),
      'IMAGE_TOO_LARGE',
    );
    assert.equal(
      await codeOf(readImageInput(image, { field: 'image', maxBytes: 100 })),
      'PAYLOAD_TOO_LARGE',
    );
    assert.equal(
      await codeOf(readImageInput('A'.repeat(2000), { field: 'image', maxBytes: 100 })),
      'PAYLOAD_TOO_LARGE',
    );
    assert.equal(
      await codeOf(readImageInput('https://example.org/a.png', { field: 'image' })),
      'CORRUPTED_IMAGE',
    );
  });
});

describe('raw images', () => {
  it('decode to RGB or RGBA and encode back losslessly as PNG', async () => {
    const raw = await toRawImage(await png(8, 4), { channels: 4 });
    assert.deepEqual([raw.width, raw.height, raw.channels, raw.data.length], [8, 4, 4, 128]);
    assert.deepEqual([...raw.data.subarray(0, 4)], [200, 40, 40, 255]);
    const again = await toRawImage(await encodeRawImage(raw, 'png'), { channels: 4 });
    assert.deepEqual(again.data, raw.data);
  });

  it('convert between formats and sizes', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const converted = await convertImage(await png(64, 32), format, { width: 32, height: 32 });
      const metadata = await sharp(converted).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], [format, 32, 32]);
    }
  });
});
