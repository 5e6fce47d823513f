import { z } from 'zod';

export const MODEL_TYPES = [
  'asr',
  'embedding',
  'image',
  'music',
  'text',
  'tts',
  'upscale',
  'inpaint',
  'video',
] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

// swagger: GET /models `type` (the nine types plus all and code); the default is text, like the siblings.
export const listModelsQuery = z.object({
  type: z.enum([...MODEL_TYPES, 'all', 'code']).default('text'),
});
// swagger: GET /models/traits and /models/compatibility_mapping, `type` default text.
export const modelMapQuery = z.object({ type: z.enum(MODEL_TYPES).default('text') });
