import { randomUUID } from 'node:crypto';
import type { EngineCall } from '../../engines/engine.ts';
import { engineFor } from '../../engines/engine-for.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { UpscaleImageRequest } from '../../schemas/image-upscale.ts';
import type { Billing } from '../billing/meter.ts';
import { encodeRawImage, readImageInput, toRawImage } from '../media/image-input.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import type { Cost } from '../pricing.ts';
import { cancellingOnFailure } from '../admitted-work.ts';

/** swagger: UpscaleImageRequest.image: "at least 65536 pixels … must not exceed 16777216 pixels" after scaling. */
export const MIN_INPUT_PIXELS = 65_536;
export const MAX_OUTPUT_PIXELS = 16_777_216;

export interface UpscaleOutcome {
  /** The upscaled image, PNG. */
  png: Buffer;
  /** The factor applied (4 may have been lowered to 2). */
  scale: 2 | 4;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/** An upscale is priced per factor (swagger: Image Model Pricing.upscale; INVENTORY §6.2). */
export function upscaleCostOf(entry: ModelEntry, scale: 2 | 4): Cost {
  const price = entry.config.pricing.upscale?.[scale === 2 ? '2x' : '4x'] ?? { usd: 0, diem: 0 };
  return { usd: price.usd, diem: price.diem };
}

/** swagger: UpscaleImageRequest.scale: "A scale of 4 with large images will result in the scale being dynamically reduced". */
export function appliedScale(requested: 2 | 4, pixels: number): 2 | 4 {
  return requested === 4 && pixels * 16 > MAX_OUTPUT_PIXELS ? 2 : requested;
}

function toClientError(error: unknown): unknown {
  if (!(error instanceof EngineError)) return error;
  return error.failure === 'failed'
    ? new VeniceError('UPSCALE_FAILED', { cause: error })
    : toVeniceError(error, 'image');
}

/**
 * POST /image/upscale: the first upscale model serves it (the request names none). Checks the image
 * (CORRUPTED_IMAGE, IMAGE_TOO_SMALL under 65,536 pixels, IMAGE_TOO_LARGE when even 2× would pass
 * 16,777,216 pixels, PAYLOAD_TOO_LARGE over 25 MB), picks the factor, reserves its price, upscales,
 * encodes PNG and settles; a failure releases the reservation.
 */
export class UpscaleService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly fetcher: UrlFetcher,
  ) {}

  async upscale(
    request: UpscaleImageRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<UpscaleOutcome> {
    const model = this.registry.traits('upscale').default;
    if (model === undefined) throw new VeniceError('MODEL_NOT_FOUND');
    const { entry } = this.registry.resolve(model, 'upscale');
    const engine = engineFor(entry, 'upscale');
    // Admitted (privacy, rate limits) before the image is fetched or decoded; reserved at the scale its size allows.
    const admission = await billing.admit({
      modelId: entry.config.id,
      modelType: 'upscale',
      requestId: `upscale-${randomUUID()}`,
      limitClass: 'image',
      tokens: 0,
      privacy: entry.config.privacy,
    });
    const { image, scale } = await cancellingOnFailure(admission, async () => {
      const input = await readImageInput(
        request.image,
        { field: 'image', minPixels: MIN_INPUT_PIXELS, maxPixels: MAX_OUTPUT_PIXELS / 4 },
        this.fetcher,
        signal,
      );
      return {
        scale: appliedScale(request.scale === 4 ? 4 : 2, input.width * input.height),
        image: await toRawImage(input.bytes, { channels: input.hasAlpha ? 4 : 3, field: 'image' }),
      };
    });
    const cost = upscaleCostOf(entry, scale);
    const settlement = await admission.reserve(cost);
    const call: EngineCall = { signal };
    let png: Buffer;
    try {
      const upscaled = await engine.upscale({ image, scale, creativity: request.creativity }, call);
      png = await encodeRawImage(upscaled, 'png');
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw toClientError(error);
    }
    await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    return { png, scale, entry, servedBy: call.servedBy ?? engine.kind, cost };
  }
}
