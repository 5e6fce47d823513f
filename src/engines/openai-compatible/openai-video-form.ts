import type { JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import {
  imageHeaderOf,
  ImageRefusedError,
  untrustedImage,
  withImageSlot,
} from '../untrusted-image.ts';

const DATA_URL = /^data:([^,]*?),(.*)$/s;

/** The settings a job is created with upstream (openai-video-request.ts chose them). */
export interface VideoSettings {
  seconds: number | undefined;
  width: number;
  height: number;
}

/**
 * The request's `image_url` as Sora's `input_reference`: a PNG of exactly the video's size (OpenAI refuses a
 * reference of another size), the image scaled to cover it and centre-cropped. Only data URLs are taken: the
 * engine fetches nothing on a client's behalf (http(s) URLs are fetched, with the server's URL rules, before
 * a job reaches its engine, or refused); anything else fails the job as the client's mistake.
 */
export async function referenceImageOf(
  imageUrl: unknown,
  settings: VideoSettings,
): Promise<Blob | undefined> {
  if (imageUrl === undefined || imageUrl === null || imageUrl === '') return undefined;
  const match = typeof imageUrl === 'string' ? DATA_URL.exec(imageUrl) : null;
  if (match === null)
    throw new EngineError(
      'bad_request',
      'image_url must be a data URL (data:image/...;base64,...) for this model',
      { retryable: false },
    );
  const bytes = match[1]!.endsWith(';base64')
    ? Buffer.from(match[2]!, 'base64')
    : Buffer.from(decodeURIComponent(match[2]!), 'latin1');
  try {
    const png = await withImageSlot(async () => {
      await imageHeaderOf(bytes);
      return untrustedImage(bytes)
        .rotate()
        .resize(settings.width, settings.height, { fit: 'cover' })
        .png()
        .toBuffer();
    });
    return new Blob([new Uint8Array(png)], { type: 'image/png' });
  } catch (error) {
    const why =
      error instanceof ImageRefusedError && error.reason !== 'unreadable'
        ? `: ${error.message}`
        : '';
    throw new EngineError('bad_request', `image_url is not an image that can be read${why}`, {
      retryable: false,
      cause: error,
    });
  }
}

/**
 * POST /videos's body as the official SDK sends it (openai-node resources/videos.js: multipartFormRequestOptions):
 * multipart/form-data with model, prompt, seconds, size and the optional input_reference file. The form is
 * encoded once, so the same bytes can go to another endpoint after a failure.
 */
export async function videoCreateForm(
  job: JobSubmission,
  settings: VideoSettings,
): Promise<{ payload: Buffer; contentType: string }> {
  const { prompt, image_url: imageUrl } = job.request;
  if (typeof prompt !== 'string' || prompt === '')
    throw new EngineError('bad_request', 'a video needs a prompt', { retryable: false });
  const form = new FormData();
  form.set('model', job.model);
  form.set('prompt', prompt);
  if (settings.seconds !== undefined) form.set('seconds', String(settings.seconds));
  form.set('size', `${settings.width}x${settings.height}`);
  const reference = await referenceImageOf(imageUrl, settings);
  if (reference !== undefined) form.set('input_reference', reference, 'reference.png');
  const encoded = new Response(form);
  return {
    payload: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
}
