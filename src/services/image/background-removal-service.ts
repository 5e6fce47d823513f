import { randomUUID } from 'node:crypto';
import type { BackgroundRemovalEngine, EngineCall, RawImage } from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { BackgroundRemoveImageRequest } from '../../schemas/image-background-remove.ts';
import type { Billing } from '../billing/meter.ts';
import { encodeRawImage, readImageInput, toRawImage } from '../media/image-input.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import type { Cost } from '../pricing.ts';
import { cancellingOnFailure } from '../admitted-work.ts';

/** The most pixels accepted (8K × 4K), the edit endpoints' limit (docs/guides/media/image-editing.mdx); more is 422. */
export const MAX_BACKGROUND_REMOVE_PIXELS = 33_177_600;

export interface BackgroundRemovalOutcome {
  /** The input image with the foreground mask as its alpha channel, PNG. */
  png: Buffer;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/** RGB pixels and a one-byte-a-pixel mask → RGBA with the mask as alpha (colours kept, not premultiplied). */
function withAlpha(image: RawImage, mask: Buffer): RawImage {
  const pixels = image.width * image.height;
  if (image.channels !== 3 || mask.length !== pixels)
    throw new EngineError(
      'failed',
      `mask of ${mask.length} bytes for a ${image.width}x${image.height} image`,
    );
  const data = Buffer.alloc(pixels * 4);
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    data[pixel * 4] = image.data[pixel * 3]!;
    data[pixel * 4 + 1] = image.data[pixel * 3 + 1]!;
    data[pixel * 4 + 2] = image.data[pixel * 3 + 2]!;
    data[pixel * 4 + 3] = mask[pixel]!;
  }
  return { data, width: image.width, height: image.height, channels: 4 };
}

/** An engine's failure in Venice's terms: INFERENCE_FAILED unless the engine said otherwise or the client left. */
function toClientError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof EngineError) return toVeniceError(error);
  if (error instanceof VeniceError || signal.aborted) return error;
  return new VeniceError('INFERENCE_FAILED', { cause: error });
}

/**
 * POST /image/background-remove: the endpoint has one fixed model (INVENTORY §1 row 9), here the first
 * image model whose engine removes backgrounds. Reads and decodes the image (file, base64, data URL, or
 * a URL fetched under config.fetch), reserves the model's per-image price (pricing.generation), runs
 * the engine, and answers the image as a PNG whose alpha channel is the foreground mask. A failure after
 * the reservation releases it; only a finished cut-out is charged.
 */
export class BackgroundRemovalService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly fetcher: UrlFetcher,
  ) {}

  /** The configured remover; none is 404 MODEL_NOT_FOUND, as for any model this server does not have. */
  model(): { entry: ModelEntry; engine: BackgroundRemovalEngine } {
    for (const entry of this.registry.list('image')) {
      if (entry.engine.modality === 'background-removal') return { entry, engine: entry.engine };
    }
    throw new VeniceError('MODEL_NOT_FOUND', {
      message: 'Specified model not found: this server has no background-removal model',
    });
  }

  async remove(
    request: BackgroundRemoveImageRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<BackgroundRemovalOutcome> {
    const { entry, engine } = this.model();
    const field = request.image === undefined ? 'image_url' : 'image';
    const source = request.image ?? request.image_url ?? '';
    const { config } = entry;
    // Admitted (privacy, rate limits) before the image is fetched or decoded; reserved once it is read.
    const admission = await billing.admit({
      modelId: config.id,
      modelType: 'image',
      requestId: `background-remove-${randomUUID()}`,
      limitClass: 'image',
      tokens: 0,
      privacy: config.privacy,
    });
    const image = await cancellingOnFailure(admission, async () => {
      const decoded = await readImageInput(
        source,
        { field, maxPixels: MAX_BACKGROUND_REMOVE_PIXELS },
        this.fetcher,
        signal,
      );
      return toRawImage(decoded.bytes, { channels: 3, field });
    });
    const cost = config.pricing.generation ?? { usd: 0, diem: 0 };
    const settlement = await admission.reserve(cost);
    const call: EngineCall = { signal };
    let png: Buffer;
    try {
      const { mask } = await engine.foregroundMask(image, call);
      png = await encodeRawImage(withAlpha(image, mask), 'png');
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw toClientError(error, signal);
    }
    await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    return { png, entry, servedBy: call.servedBy ?? engine.kind, cost };
  }
}
