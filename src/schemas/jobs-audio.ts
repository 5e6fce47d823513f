import { z } from 'zod';

// swagger: QueueAudioRequest.duration_seconds (and QuoteAudioRequest): an integer > 0 or a numeric string; read as a number.
const durationSeconds = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+$/, 'Expected a whole number of seconds'),
  ])
  .transform(Number)
  .refine((seconds) => seconds > 0, 'Number must be greater than 0');

// swagger: QueueAudioRequest, additionalProperties: false. Which optional fields a model takes, and their
// limits, come from its music spec (model_spec): checkQueueAudio refuses the rest with a 400, as the guide says.
export const queueAudioRequest = z.strictObject({
  model: z.string().min(1),
  prompt: z.string().min(1),
  lyrics_prompt: z.string().optional(),
  duration_seconds: durationSeconds.optional(),
  force_instrumental: z.boolean().optional(),
  lyrics_optimizer: z.boolean().optional(),
  loop: z.boolean().optional(),
  voice: z.string().min(1).optional(),
  // ISO 639-1: two letters.
  language_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'Expected an ISO 639-1 language code')
    .optional(),
  speed: z.number().min(0.25).max(4).optional(),
});
export type QueueAudioRequest = z.infer<typeof queueAudioRequest>;

// swagger: QuoteAudioRequest, additionalProperties: false.
export const quoteAudioRequest = z.strictObject({
  model: z.string().min(1),
  duration_seconds: durationSeconds.optional(),
  character_count: z.number().int().positive().optional(),
});
export type QuoteAudioRequest = z.infer<typeof quoteAudioRequest>;

// swagger: RetrieveAudioRequest, additionalProperties: false. `model` may be left out, as on /video/retrieve
// (video-upscaling.mdx): the job is found by its queue_id alone.
export const retrieveAudioRequest = z.strictObject({
  model: z.string().min(1).optional(),
  queue_id: z.string().min(1),
  delete_media_on_completion: z.boolean().default(false),
});

// swagger: CompleteAudioRequest, additionalProperties: false; `model` optional as on retrieve.
export const completeAudioRequest = z.strictObject({
  model: z.string().min(1).optional(),
  queue_id: z.string().min(1),
});
