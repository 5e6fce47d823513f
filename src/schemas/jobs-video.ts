import { z } from 'zod';

// swagger: QueueVideoRequest.duration (also QuoteVideoRequest): 1s..30s, "-1", "1 gen", auto, Auto.
export const VIDEO_DURATIONS = [
  ...Array.from({ length: 30 }, (_, index) => `${index + 1}s`),
  '-1',
  '1 gen',
  'auto',
  'Auto',
] as const;
const ASPECT_RATIOS = [
  '1:1',
  '2:3',
  '3:2',
  '3:4',
  '4:3',
  '4:5',
  '5:4',
  '9:16',
  '9:21',
  '16:9',
  '21:9',
  'adaptive',
  'auto',
] as const;
const RESOLUTIONS = [
  '256p',
  '360p',
  '480p',
  '540p',
  '580p',
  '720p',
  '1080p',
  '1440p',
  '2160p',
  '4k',
  '2x',
  '4x',
  '2K',
  '768P',
  'true_1080p',
] as const;
/** swagger: QueueVideoRequest.omni_reference_task_type; the queue API also takes editing→edit, extension→extend. */
const TASK_TYPE_ALIASES: Record<string, string> = { editing: 'edit', extension: 'extend' };

/**
 * A duration as the swagger lists it ("8s"), or in bare seconds ("8", as reference-to-video.mdx writes it for
 * Kling and Grok): read as the listed form, so checks and prices see one spelling.
 */
const duration = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value) ? `${Number(value)}s` : value),
  z.enum(VIDEO_DURATIONS),
);

const url = z.string().min(1);
const upscaleFactor = z.union([z.literal(1), z.literal(2), z.literal(4)]);

// INVENTORY §1.5: the three attestations exactly; another key (e.g. consent_version) is a 400.
const seedanceConsent = z.strictObject({
  confirmed_terms_and_privacy: z.literal(true),
  confirmed_legal_right: z.literal(true),
  confirmed_screening_acknowledged: z.literal(true),
});

// swagger: QueueVideoRequest, NOT strict (INVENTORY §0 "Strict bodies"). Keys the swagger does not list (such as
// the guide's bitrate_mode) are kept and relayed to the engine, which may know them. What a model accepts
// (prompt length, durations, aspect ratios, resolutions, audio) is checked by checkQueueVideo. `prompt` and
// `duration` are required there for every model but upscale models (video-upscaling.mdx: upscaling "does not
// use text prompts", and "the server detects duration directly from the video file").
export const queueVideoRequest = z.looseObject({
  model: z.string().min(1),
  prompt: z.string().min(1).max(20_000).optional(),
  negative_prompt: z.string().max(20_000).optional(),
  duration: duration.optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
  omni_reference_task_type: z
    .enum(['auto', 'reference', 'edit', 'extend', 'editing', 'extension'])
    .transform((type) => TASK_TYPE_ALIASES[type] ?? type)
    .optional(),
  resolution: z.enum(RESOLUTIONS).optional(),
  upscale_factor: upscaleFactor.optional(),
  audio: z.boolean().optional(),
  image_url: url.optional(),
  end_image_url: url.optional(),
  audio_url: url.optional(),
  video_url: url.optional(),
  reference_image_urls: z.array(url).max(30).optional(),
  reference_video_urls: z.array(url).max(10).optional(),
  reference_audio_urls: z.array(url).max(10).optional(),
  reference_document_urls: z.array(url).max(1).optional(),
  elements: z
    .array(
      z.object({
        frontal_image_url: url.optional(),
        reference_image_urls: z.array(url).max(3).optional(),
        video_url: url.optional(),
      }),
    )
    .max(4)
    .optional(),
  scene_image_urls: z.array(url).max(4).optional(),
  keyframes: z
    .array(z.object({ image_url: url, frame_index: z.number().int().min(0) }))
    .max(10)
    .optional(),
  consents: z.object({ seedance: seedanceConsent.optional() }).optional(),
});
export type QueueVideoRequest = z.infer<typeof queueVideoRequest>;

// swagger: QuoteVideoRequest, NOT strict: pricing inputs only (video-generation.mdx: not forwarded, and
// aspect_ratio is accepted even where queue would refuse it).
export const quoteVideoRequest = z.object({
  model: z.string().min(1),
  duration,
  aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
  resolution: z.enum(RESOLUTIONS).optional(),
  upscale_factor: upscaleFactor.optional(),
  audio: z.boolean().optional(),
  video_url: url.optional(),
  // INVENTORY §1 row 30: at most 150 s.
  reference_video_total_duration: z.number().min(0).max(150).optional(),
});
export type QuoteVideoRequest = z.infer<typeof quoteVideoRequest>;

// swagger: RetrieveVideoRequest, additionalProperties: false. `model` may be left out, as video-upscaling.mdx's
// examples do: the job is found by its queue_id alone.
export const retrieveVideoRequest = z.strictObject({
  model: z.string().min(1).optional(),
  queue_id: z.string().min(1),
  delete_media_on_completion: z.boolean().default(false),
});

// swagger: CompleteVideoRequest, additionalProperties: false; `model` optional as on retrieve.
export const completeVideoRequest = z.strictObject({
  model: z.string().min(1).optional(),
  queue_id: z.string().min(1),
});

// swagger: CreateVideoTranscriptionRequestSchema, additionalProperties: false. The swagger says a YouTube URL;
// Rialto fetches the URL itself, so it must serve the video (or audio) file.
export const createVideoTranscriptionRequest = z.strictObject({
  url: z.string().min(1),
  response_format: z.enum(['json', 'text']).default('json'),
});
