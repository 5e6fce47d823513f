import { z } from 'zod';

// What image, video and music models accept (model_spec constraints), as rialto.yaml sets them.

/** swagger: ModelResponse.model_spec.constraints for image and inpaint models. */
export const imageConstraints = z.strictObject({
  promptCharacterLimit: z.number().int().positive().default(7500),
  steps: z
    .strictObject({ default: z.number().int().min(1), max: z.number().int().min(1) })
    .default({ default: 20, max: 50 }),
  widthHeightDivisor: z.number().int().positive().default(8),
  /** The largest width or height a request may ask for. */
  maxDimension: z.number().int().positive().default(1280),
  defaultWidth: z.number().int().positive().default(1024),
  defaultHeight: z.number().int().positive().default(1024),
  cfgScale: z.number().positive().max(20).default(7),
  aspectRatios: z.array(z.string()).optional(),
  defaultAspectRatio: z.string().optional(),
  resolutions: z.array(z.string()).optional(),
  defaultResolution: z.string().optional(),
  qualities: z.array(z.enum(['low', 'medium', 'high'])).optional(),
  defaultQuality: z.enum(['low', 'medium', 'high']).optional(),
  /** inpaint: whether several input images are combined (multi-edit), and how many. */
  combineImages: z.boolean().default(true),
  maxInputImages: z.number().int().min(1).optional(),
  /** inpaint: false = a single-image edit keeps the input's aspect ratio and ignores aspect_ratio. */
  singleImageAspectRatio: z.boolean().optional(),
});

/** swagger: ModelResponse.model_spec.constraints, Video Model Constraints. */
export const videoConstraints = z.strictObject({
  aspect_ratios: z.array(z.string()).default([]),
  resolutions: z.array(z.string()).default([]),
  durations: z.array(z.string()).default(['5s', '10s']),
  model_type: z.enum(['image-to-video', 'text-to-video', 'video']).default('text-to-video'),
  audio: z.boolean().default(false),
  audio_configurable: z.boolean().default(false),
  prompt_character_limit: z.number().int().positive().default(2500),
});

/** The music model fields of model_spec (docs/models/music.mdx): what /audio/queue checks requests against. */
export const musicSpec = z.strictObject({
  min_prompt_length: z.number().int().min(0).optional(),
  prompt_character_limit: z.number().int().positive().default(2000),
  supports_lyrics: z.boolean().default(false),
  lyrics_required: z.boolean().default(false),
  lyrics_character_limit: z.number().int().positive().optional(),
  min_duration: z.number().positive().optional(),
  max_duration: z.number().positive().optional(),
  default_duration: z.number().positive().optional(),
  duration_options: z.array(z.number().positive()).optional(),
  supports_force_instrumental: z.boolean().default(false),
  supports_lyrics_optimizer: z.boolean().default(false),
  supports_loop: z.boolean().default(false),
  voices: z.array(z.string()).optional(),
  default_voice: z.string().optional(),
  supports_language_code: z.boolean().default(false),
  supports_speed: z.boolean().default(false),
  min_speed: z.number().optional(),
  max_speed: z.number().optional(),
  default_speed: z.number().optional(),
});

export type ImageConstraints = z.infer<typeof imageConstraints>;
