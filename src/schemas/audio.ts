import { z } from 'zod';

export const AUDIO_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;

// swagger: CreateSpeechRequestSchema, additionalProperties: false. `model` names a Rialto tts model
// (id, trait or alias; default: the first tts model) where the swagger enumerates Venice's own. `voice`
// and `response_format` default to the model's (defaultVoice or its first voice; model_spec.default_format)
// and are checked against the model by the speech service. prompt, temperature and top_p are validated
// and ignored, as the swagger says of models that do not advertise them.
export const createSpeechRequest = z.strictObject({
  input: z.string().min(1).max(4096),
  model: z.string().min(1).optional(),
  voice: z.string().max(512).optional(),
  response_format: z.enum(AUDIO_FORMATS).optional(),
  speed: z.number().min(0.25).max(4).default(1),
  streaming: z.boolean().default(false),
  language: z.string().min(2).max(32).optional(),
  prompt: z.string().max(500).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
});
export type CreateSpeechRequest = z.infer<typeof createSpeechRequest>;
