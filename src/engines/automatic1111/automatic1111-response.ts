import type { GeneratedImages } from '../engine.ts';
import { EngineError } from '../engine-error.ts';

/**
 * modules/api/models.py TextToImageResponse / ImageToImageResponse: `images` (base64, in the server's
 * samples_format), `parameters` (the request echoed) and `info`, a JSON string of Processed.js()
 * (modules/processing.py) with `seed`, `all_seeds` and `index_of_first_image` (1 when a grid leads the list).
 */
interface ImagesResponse {
  images?: unknown;
  info?: unknown;
}

function infoOf(info: unknown): { seed?: number; firstImage: number } {
  if (typeof info !== 'string') return { firstImage: 0 };
  try {
    const parsed = JSON.parse(info) as { seed?: unknown; index_of_first_image?: unknown };
    const firstImage = typeof parsed.index_of_first_image === 'number' && parsed.index_of_first_image > 0 ? parsed.index_of_first_image : 0;
    return typeof parsed.seed === 'number' ? { seed: parsed.seed, firstImage } : { firstImage };
  } catch {
    return { firstImage: 0 };
  }
}

/**
 * The `count` images of a txt2img/img2img answer: a leading grid is skipped, and images extensions append
 * after them (ControlNet's detected maps) are dropped. Fewer images than asked for is a failure.
 */
export function imagesOf(body: unknown, count: number, label: string): GeneratedImages {
  const response = (typeof body === 'object' && body !== null ? body : {}) as ImagesResponse;
  if (!Array.isArray(response.images)) throw new EngineError('failed', `upstream ${label} sent no images`, { retryable: false });
  const { seed, firstImage } = infoOf(response.info);
  const encoded = response.images.slice(firstImage, firstImage + count);
  if (encoded.length < count || encoded.some((image) => typeof image !== 'string' || image.length === 0)) {
    throw new EngineError('failed', `upstream ${label} sent ${encoded.length} image(s) for ${count}`, { retryable: false });
  }
  const images = encoded.map((image) => Buffer.from(String(image).replace(/^data:[^,]*,/, ''), 'base64'));
  return seed === undefined ? { images } : { images, seed };
}

/** The message in A1111's error bodies: {error, detail, body, errors} (api_middleware) or FastAPI's {detail}. */
export function errorMessageOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (typeof body !== 'object' || body === null) return '';
  const { detail, errors, error } = body as { detail?: unknown; errors?: unknown; error?: unknown };
  if (typeof detail === 'string' && detail !== '') return detail;
  if (Array.isArray(detail)) return JSON.stringify(detail).slice(0, 300);
  if (typeof errors === 'string' && errors !== '') return errors;
  return typeof error === 'string' ? error : '';
}

/**
 * An A1111 failing status in engine terms: 429 overloaded and 503 at capacity (a proxy's answers; both
 * retryable elsewhere), other 5xx a failure another endpoint may not share (retryable), and 4xx (401 wrong
 * --api-auth credentials, 404 unknown sampler or checkpoint, 422 a body A1111 refuses) the operator's
 * configuration: an inference failure, not the client's mistake.
 */
export function upstreamFailure(status: number, body: unknown, label: string): EngineError {
  const message = errorMessageOf(body);
  const detail = `upstream ${label} answered ${status}${message === '' ? '' : `: ${message}`}`;
  if (status === 429) return new EngineError('overloaded', detail, { status });
  if (status === 503) return new EngineError('capacity', detail, { status });
  return new EngineError('failed', detail, { status, retryable: status >= 500 });
}
