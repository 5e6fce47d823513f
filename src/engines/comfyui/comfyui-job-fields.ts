import { randomInt, randomUUID } from 'node:crypto';
import type { ModelConfig } from '../../config.ts';
import type { JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { imageHeaderOf } from '../untrusted-image.ts';
import type { InputFile } from './comfyui-client.ts';
import { COMFYUI_FIELDS } from './comfyui-kind.ts';

/**
 * The Venice request fields a video or music workflow's `inputs` may map onto node inputs (listed once, in the
 * kind's COMFYUI_FIELDS), with what each becomes below. Values are computed from the request and the model's
 * constraints; media fields (data URLs) are uploaded through /upload/image and become the name a loader takes.
 */
export const JOB_FIELDS = {
  video: COMFYUI_FIELDS.video ?? [],
  music: COMFYUI_FIELDS.music ?? [],
} as const;

/** A value for a node input: a number or text, or a file to upload first (its uploaded name goes in). */
export type JobValue = string | number | InputFile;

/** The most bytes one input file may have (the JSON body limit bounds it too). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*),(.*)$/s;
const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/flac': 'flac',
};

const refused = (message: string): EngineError =>
  new EngineError('bad_request', message, { retryable: false });

/**
 * A client's data URL as a file to upload, of the media type the field wants (image, video, audio). Only data
 * URLs are taken: the engine fetches nothing on a client's behalf (as the other job engines, openai-video-form.ts).
 */
export async function inputFileOf(
  field: string,
  value: unknown,
  media: 'image' | 'video' | 'audio',
): Promise<InputFile | undefined> {
  if (value === undefined || value === null || value === '') return undefined;
  const match = typeof value === 'string' ? DATA_URL.exec(value) : null;
  if (match === null)
    throw refused(`${field} must be a data URL (data:${media}/...;base64,...) for this model`);
  const contentType = match[1]!.toLowerCase();
  const extension = EXTENSIONS[contentType];
  if (!contentType.startsWith(`${media}/`) || extension === undefined)
    throw refused(`${field} must be a ${media} (${contentType || 'no media type'} given)`);
  const payload = match[3]!;
  const bytes = match[2]!.includes(';base64')
    ? Buffer.from(payload, 'base64')
    : Buffer.from(decodeURIComponent(payload), 'latin1');
  if (bytes.length === 0 || bytes.length > MAX_INPUT_BYTES)
    throw refused(`${field} must hold 1 to ${MAX_INPUT_BYTES} bytes`);
  if (media === 'image') {
    // An image is checked before it reaches ComfyUI: a decompression bomb stops here.
    await imageHeaderOf(bytes).catch((error: unknown) => {
      throw new EngineError('bad_request', `${field} is not an image that can be read`, {
        retryable: false,
        cause: error,
      });
    });
  }
  // A name of its own: uploads overwrite, and another job's input must not replace this one before it runs.
  return { bytes, filename: `rialto-${randomUUID()}.${extension}`, contentType };
}

/** "5s" → 5; anything else (auto, -1, absent: an upscale model's) → the model's longest listed duration. */
function secondsOf(duration: unknown, model: ModelConfig): number | undefined {
  const listed = model.videoConstraints.durations.flatMap((option) => {
    const seconds = /^(\d+(?:\.\d+)?)s$/.exec(option);
    return seconds === null ? [] : [Number(seconds[1])];
  });
  const asked = typeof duration === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(duration) : null;
  if (asked !== null) return Number(asked[1]);
  return listed.length === 0 ? undefined : Math.max(...listed);
}

/** The short side a Venice resolution names ("720p" → 720, "4k" → 2160, "2K" → 1440). */
function shortSideOf(resolution: unknown): number | undefined {
  if (typeof resolution !== 'string') return undefined;
  const value = resolution.toLowerCase().replace(/^true_/, '');
  if (value === '4k') return 2160;
  if (value === '2k') return 1440;
  const match = /^(\d+)p$/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Width and height from aspect_ratio and resolution (or the model's first listed of each; 16:9 and 480p when it
 * lists none), multiples of 16 as video models want them.
 */
function sizeOf(request: Record<string, unknown>, model: ModelConfig): [number, number] {
  const limits = model.videoConstraints;
  const ratioText =
    (typeof request.aspect_ratio === 'string' ? request.aspect_ratio : undefined) ??
    limits.aspect_ratios[0] ??
    '16:9';
  const ratioMatch = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(ratioText);
  const ratio = ratioMatch === null ? 16 / 9 : Number(ratioMatch[1]) / Number(ratioMatch[2]);
  const short = shortSideOf(request.resolution) ?? shortSideOf(limits.resolutions[0]) ?? 480;
  const round16 = (value: number): number => Math.max(16, Math.round(value / 16) * 16);
  return ratio >= 1
    ? [round16(short * ratio), round16(short)]
    : [round16(short), round16(short / ratio)];
}

/**
 * The values of a video job's fields. `fps` is the workflow's own (read by the caller from the node the mapping
 * names), so `length` (frames) is seconds × fps + 1, the 4n+1 / 8n+1 frame counts Wan and LTX-Video take.
 */
export async function videoValues(
  job: JobSubmission,
  model: ModelConfig,
  fps: number,
): Promise<Record<string, JobValue | undefined>> {
  const request = job.request;
  const [width, height] = sizeOf(request, model);
  const seconds = secondsOf(request.duration, model);
  const references = Array.isArray(request.reference_image_urls)
    ? request.reference_image_urls
    : [];
  return {
    prompt: typeof request.prompt === 'string' ? request.prompt : '',
    // Absent: the workflow's own negative prompt stays.
    negative_prompt:
      typeof request.negative_prompt === 'string' ? request.negative_prompt : undefined,
    seed: typeof request.seed === 'number' ? request.seed : randomInt(0, 2 ** 32),
    width,
    height,
    duration: seconds,
    fps,
    length: seconds === undefined ? undefined : Math.round(seconds * fps) + 1,
    image: await inputFileOf('image_url', request.image_url, 'image'),
    end_image: await inputFileOf('end_image_url', request.end_image_url, 'image'),
    video: await inputFileOf('video_url', request.video_url, 'video'),
    audio: await inputFileOf('audio_url', request.audio_url, 'audio'),
    reference_image: await inputFileOf('reference_image_urls', references[0], 'image'),
    upscale_factor: typeof request.upscale_factor === 'number' ? request.upscale_factor : 2,
  };
}

/**
 * The values of a music job's fields: the prompt (ACE-Step's tags, Stable Audio's text), the lyrics
 * ("[instrumental]" when forced instrumental or none are given, as ACE-Step writes it), the duration in seconds
 * (the request's, else the model's default or longest), and a random seed.
 */
export function musicValues(
  job: JobSubmission,
  model: ModelConfig,
): Record<string, JobValue | undefined> {
  const request = job.request;
  const lyrics =
    request.force_instrumental === true || typeof request.lyrics_prompt !== 'string'
      ? '[instrumental]'
      : request.lyrics_prompt;
  const duration =
    typeof request.duration_seconds === 'number'
      ? request.duration_seconds
      : (model.music.default_duration ?? model.music.max_duration ?? 30);
  return {
    prompt: typeof request.prompt === 'string' ? request.prompt : '',
    lyrics,
    duration,
    seed: randomInt(0, 2 ** 32),
  };
}
