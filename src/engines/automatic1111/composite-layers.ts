import { EngineError } from '../engine-error.ts';
import { untrustedImage, withImageSlot } from '../untrusted-image.ts';

/**
 * img2img takes one init image, while a multi-edit sends a base image and layers (swagger:
 * MultiEditImageRequest: "the first image is the base"). The layers are laid over the base in order, each
 * fitted inside the base's size (centred, aspect kept, transparent margins): a layer with transparency adds
 * its opaque parts, an opaque layer covers the base. One image passes through untouched.
 */
export async function compositeLayers(images: Buffer[]): Promise<Buffer> {
  const [base, ...layers] = images;
  if (base === undefined)
    throw new EngineError('bad_request', 'an edit needs an image', { retryable: false });
  if (layers.length === 0) return base;
  return withImageSlot(async () => {
    const { width, height } = await untrustedImage(base)
      .rotate()
      .metadata()
      .then((metadata) => ({
        // rotate() applies EXIF orientation: swap the stored sides when it turns the image by 90°.
        width: (metadata.orientation ?? 1) >= 5 ? metadata.height : metadata.width,
        height: (metadata.orientation ?? 1) >= 5 ? metadata.width : metadata.height,
      }));
    // One after another: the slot stands for one libuv thread.
    const fitted: Buffer[] = [];
    for (const layer of layers) {
      fitted.push(
        await untrustedImage(layer)
          .rotate()
          .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
          .ensureAlpha()
          .png()
          .toBuffer(),
      );
    }
    return untrustedImage(base)
      .rotate()
      .composite(fitted.map((input) => ({ input, blend: 'over' as const })))
      .png()
      .toBuffer();
  });
}
