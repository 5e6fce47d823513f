import type { GeneratedImages } from '../engine.ts';
import { z } from 'zod';
import { EngineError } from '../engine-error.ts';
import { fieldsOf, parseAnswer } from '../upstream/upstream-answer.ts';

/**
 * modules/api/models.py TextToImageResponse / ImageToImageResponse: `images` (base64, in the server's
 * samples_format), `parameters` (the request echoed) and `info`, a JSON string of Processed.js()
 * (modules/processing.py) with `seed`, `all_seeds` and `index_of_first_image` (1 when a grid leads the list).
 */
const imagesResponse = z.object({ images: z.array(z.unknown()), info: z.unknown().optional() });
const processedInfo = z.object({
  seed: z.number().optional().catch(undefined),
  index_of_first_image: z.number().optional().catch(undefined),
});

function infoOf(info: unknown): { seed?: number; firstImage: number } {
  const parsed = typeof info === 'string' ? fieldsOf(processedInfo, parseAnswer(info)) : undefined;
  if (parsed === undefined) return { firstImage: 0 };
  const first = parsed.index_of_first_image;
  const firstImage = first !== undefined && first > 0 ? first : 0;
  return parsed.seed === undefined ? { firstImage } : { seed: parsed.seed, firstImage };
}

/**
 * The `count` images of a txt2img/img2img answer: a leading grid is skipped, and images extensions append
 * after them (ControlNet's detected maps) are dropped. Fewer images than asked for is a failure.
 */
export function imagesOf(body: unknown, count: number, label: string): GeneratedImages {
  const response = fieldsOf(imagesResponse, body);
  if (response === undefined)
    throw new EngineError('failed', `upstream ${label} sent no images`, { retryable: false });
  const { seed, firstImage } = infoOf(response.info);
  const encoded = response.images.slice(firstImage, firstImage + count);
  if (
    encoded.length < count ||
    encoded.some((image) => typeof image !== 'string' || image.length === 0)
  ) {
    throw new EngineError(
      'failed',
      `upstream ${label} sent ${encoded.length} image(s) for ${count}`,
      { retryable: false },
    );
  }
  const images = encoded.map((image) =>
    Buffer.from(String(image).replace(/^data:[^,]*,/, ''), 'base64'),
  );
  return seed === undefined ? { images } : { images, seed };
}

/** A1111's error bodies: {error, detail, body, errors} (api_middleware) or FastAPI's {detail} (a string, or a list of problems). */
const errorBody = z.object({
  detail: z
    .union([z.string(), z.array(z.unknown())])
    .optional()
    .catch(undefined),
  errors: z.string().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
});

/** The message in A1111's error bodies. */
export function errorMessageOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  const { detail, errors, error } = fieldsOf(errorBody, body) ?? {};
  if (typeof detail === 'string' && detail !== '') return detail;
  if (Array.isArray(detail)) return JSON.stringify(detail).slice(0, 300);
  if (errors !== undefined && errors !== '') return errors;
  return error ?? '';
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
