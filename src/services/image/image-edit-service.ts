import { randomInt, randomUUID } from 'node:crypto';
import type { EngineCall } from '../../engines/engine.ts';
import { engineFor } from '../../engines/engine-for.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { untrustedImage, withImageSlot } from '../../engines/untrusted-image.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { EditAspectRatio } from '../../schemas/image-edit.ts';
import type { Billing } from '../billing/meter.ts';
import {
  convertImage,
  IMAGE_CONTENT_TYPES,
  readImageInput,
  type DecodedImage,
  type ImageFormat,
} from '../media/image-input.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import type { Cost } from '../pricing.ts';
import { editTermsOf } from './image-edit-constraints.ts';
import { editCostOf } from './image-edit-pricing.ts';
import { longSideOf, outputRatio, outputSize } from './image-edit-size.ts';
import { cancellingOnFailure } from '../admitted-work.ts';

/** INVENTORY §1 rows 7–8: every input image has 65,536..33,177,600 pixels. */
const MIN_PIXELS = 65_536;
const MAX_PIXELS = 33_177_600;
/** The containers every engine takes as they are; others are re-encoded as PNG first. */
const PASSED_AS_IS = new Set(['png', 'jpeg', 'webp']);

/** An /image/edit or /image/multi-edit request, its two schemas' fields in one shape. */
export interface ImageEditInput {
  /** In order: the first is the base image, the rest are layers (multi-edit). */
  images: (Buffer | string)[];
  /** The request field the images came in, named in errors. */
  field: 'image' | 'images';
  model: string | undefined;
  prompt: string;
  aspect_ratio?: EditAspectRatio | undefined;
  resolution?: string | undefined;
  output_format?: ImageFormat | undefined;
  quality?: 'low' | 'medium' | 'high' | undefined;
}

export interface ImageEditOutcome {
  image: Buffer;
  contentType: string;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/**
 * The bytes the engine gets, and the image's width and height as displayed (EXIF orientation applied): PNG,
 * JPEG and WebP as sent, other containers re-encoded as PNG. Every image is decoded in full here
 * (readImageInput reads only the header), so a truncated or damaged one is the client's 400
 * CORRUPTED_IMAGE rather than a failure of the upstream.
 */
async function engineImageOf(
  image: DecodedImage,
  field: string,
): Promise<{ bytes: Buffer; width: number; height: number }> {
  try {
    return await withImageSlot(async () => {
      const { autoOrient } = await untrustedImage(image.bytes).metadata();
      const bytes = PASSED_AS_IS.has(image.format)
        ? image.bytes
        : await untrustedImage(image.bytes).rotate().png().toBuffer();
      if (bytes === image.bytes)
        await untrustedImage(bytes).resize(32, 32, { fit: 'inside' }).toBuffer();
      return { bytes, width: autoOrient.width, height: autoOrient.height };
    });
  } catch {
    throw new VeniceError('CORRUPTED_IMAGE', {
      extra: { details: { [field]: { _errors: ['the image could not be decoded'] } } },
    });
  }
}

/** The engine's image in the output format at the output size; no image, or one that does not decode, is the engine's failure. */
async function outputOf(
  image: Buffer | undefined,
  format: ImageFormat,
  size: { width: number; height: number },
): Promise<Buffer> {
  if (image === undefined) throw new EngineError('failed', 'the engine returned no image');
  try {
    return await convertImage(image, format, size);
  } catch (error) {
    throw new EngineError(
      'failed',
      `the engine's image could not be decoded: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * An engine's failure in the edit endpoints' terms: unreachable 503, timed out 504, refused by a content
 * policy 422, overloaded 429, at capacity 503; anything else (a failed or refused upstream call, an answer
 * that is no image) is 500 IMAGE_EDIT_ERROR.
 */
function toEditError(error: unknown): VeniceError {
  if (error instanceof VeniceError) return error;
  if (
    error instanceof EngineError &&
    ['offline', 'timeout', 'content_policy', 'overloaded', 'capacity'].includes(error.failure)
  )
    return toVeniceError(error);
  return new VeniceError('IMAGE_EDIT_ERROR', { cause: error });
}

/**
 * POST /image/edit and /image/multi-edit: resolves the inpaint model (default: the first), checks the
 * request against its constraints, reads every image (file, base64, data URL, or URL through the fetcher),
 * decides the output size (resolution tier × aspect ratio), reserves the price, runs the engine's edit and
 * converts its image to the output format at that size. The reservation is settled once the image is
 * ready and released on any failure, so a failed edit costs nothing.
 */
export class ImageEditService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly fetcher: UrlFetcher,
  ) {}

  async edit(
    input: ImageEditInput,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<ImageEditOutcome> {
    const model = input.model ?? this.registry.traits('inpaint').default;
    if (model === undefined) throw new VeniceError('MODEL_NOT_FOUND');
    const { entry } = this.registry.resolve(model, 'inpaint');
    const engine = engineFor(entry, 'image');
    const { config } = entry;
    const limits = config.imageConstraints;
    const { tier, quality } = editTermsOf(config, { ...input, imageCount: input.images.length });
    // Admitted (privacy, rate limits) before any image is fetched or decoded; reserved once they are read.
    const admission = await billing.admit({
      modelId: config.id,
      modelType: 'inpaint',
      requestId: `edit-image-${randomUUID()}`,
      limitClass: 'image',
      tokens: 0,
      privacy: config.privacy,
    });
    const inputs = await cancellingOnFailure(admission, async () => {
      const decoded = await Promise.all(
        input.images.map((image) =>
          readImageInput(
            image,
            { field: input.field, minPixels: MIN_PIXELS, maxPixels: MAX_PIXELS },
            this.fetcher,
            signal,
          ),
        ),
      );
      return Promise.all(decoded.map((image) => engineImageOf(image, input.field)));
    });
    const images = inputs.map((image) => image.bytes);
    const keepInput = limits.singleImageAspectRatio === false && images.length === 1;
    const size = outputSize(
      outputRatio(inputs[0]!, input.aspect_ratio, limits.aspectRatios, keepInput),
      longSideOf(tier),
    );
    // swagger: output_format "When omitted … PNG for 1K edits and JPEG for 2K/4K edits".
    const format: ImageFormat = input.output_format ?? (longSideOf(tier) <= 1024 ? 'png' : 'jpeg');
    const cost = editCostOf(config.pricing, tier, quality, images.length);
    const settlement = await admission.reserve(cost);
    const call: EngineCall = { signal };
    let image: Buffer;
    try {
      const result = await engine.edit(
        {
          model: entry.engineModel,
          prompt: input.prompt,
          images,
          width: size.width,
          height: size.height,
          seed: randomInt(0, 999_999_999),
          ...(limits.qualities === undefined ? {} : { quality }),
        },
        call,
      );
      image = await outputOf(result.images[0], format, size);
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw toEditError(error);
    }
    await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    return {
      image,
      contentType: IMAGE_CONTENT_TYPES[format],
      entry,
      servedBy: call.servedBy ?? engine.kind,
      cost,
    };
  }
}
