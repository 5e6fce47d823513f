import { z } from 'zod';
import { MODEL_TYPES } from './models.ts';

// What Rialto writes of the swagger's ModelResponse (GET /models); the fields it never writes are left out.

const price = z.object({ usd: z.number(), diem: z.number() });
const qualityPrices = z.record(z.string(), z.object({ low: price, medium: price, high: price }));
const optional = {
  resolutions: z.record(z.string(), price).optional(),
  quality: qualityPrices.optional(),
};

/** swagger: ModelResponse.model_spec.pricing, one shape a model type (LLM, Image, TTS, ASR, Inpaint, music). */
const pricing = z.union([
  z.object({
    input: price,
    output: price,
    cache_input: price.optional(),
    cache_write: price.optional(),
    extended: z
      .object({ context_token_threshold: z.number(), input: price, output: price })
      .optional(),
  }),
  z.object({
    generation: price.optional(),
    ...optional,
    upscale: z.object({ '2x': price, '4x': price }),
  }),
  z.object({ input: price }),
  z.object({ per_audio_second: price }),
  z.object({
    inpaint: price,
    ...optional,
    inputImages: z.object({ included: z.number(), additional: price }).optional(),
  }),
  z.object({
    generation: price.optional(),
    per_second: price.optional(),
    per_thousand_characters: price.optional(),
    durations: z
      .record(z.string(), price.extend({ min_seconds: z.number(), max_seconds: z.number() }))
      .optional(),
  }),
]);

const quality = z.enum(['low', 'medium', 'high']);
const tiers = {
  resolutions: z.array(z.string()).optional(),
  defaultResolution: z.string().optional(),
  qualities: z.array(quality).optional(),
  defaultQuality: quality.optional(),
};

/** swagger: ModelResponse.model_spec.constraints: Text, Image, Video or Inpaint Model Constraints. */
const constraints = z.union([
  z.object({
    temperature: z.object({ default: z.number() }),
    top_p: z.object({ default: z.number() }),
  }),
  z.object({
    promptCharacterLimit: z.number(),
    steps: z.object({ default: z.number(), max: z.number() }),
    widthHeightDivisor: z.number(),
    aspectRatios: z.array(z.string()).optional(),
    defaultAspectRatio: z.string().optional(),
    ...tiers,
  }),
  z.object({
    aspect_ratios: z.array(z.string()),
    resolutions: z.array(z.string()),
    durations: z.array(z.string()),
    model_type: z.enum(['image-to-video', 'text-to-video', 'video']),
    audio: z.boolean(),
    audio_configurable: z.boolean(),
    prompt_character_limit: z.number(),
  }),
  z.object({
    aspectRatios: z.array(z.string()),
    promptCharacterLimit: z.number(),
    combineImages: z.boolean(),
    maxInputImages: z.number().optional(),
    singleImageAspectRatio: z.boolean().optional(),
    ...tiers,
  }),
]);

const reasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

/** swagger: ModelResponse.model_spec.capabilities (text models). */
const capabilities = z.object({
  optimizedForCode: z.boolean(),
  quantization: z.enum(['fp4', 'fp8', 'fp16', 'bf16', 'int8', 'int4', 'not-available']),
  supportsFunctionCalling: z.boolean(),
  supportsAudioInput: z.boolean(),
  supportsReasoning: z.boolean(),
  supportsReasoningEffort: z.boolean(),
  reasoningEffortOptions: z.array(reasoningEffort).optional(),
  defaultReasoningEffort: reasoningEffort.optional(),
  supportsResponseSchema: z.boolean(),
  supportsMultipleImages: z.boolean(),
  maxImages: z.number().optional(),
  supportsVision: z.boolean(),
  supportsVideoInput: z.boolean(),
  supportsWebSearch: z.boolean(),
  supportsLogProbs: z.boolean(),
  supportsTeeAttestation: z.boolean(),
  supportsE2EE: z.boolean(),
  supportsXSearch: z.boolean(),
});

/** swagger: ModelResponse.model_spec's music fields (docs/models/music.mdx; supports_lyrics_optimizer is the docs' only). */
export const musicModelSpec = z.object({
  min_prompt_length: z.number().optional(),
  prompt_character_limit: z.number().optional(),
  supports_lyrics: z.boolean().optional(),
  lyrics_required: z.boolean().optional(),
  lyrics_character_limit: z.number().optional(),
  min_duration: z.number().optional(),
  max_duration: z.number().optional(),
  default_duration: z.number().optional(),
  duration_options: z.array(z.number()).optional(),
  supports_force_instrumental: z.boolean().optional(),
  supports_lyrics_optimizer: z.boolean().optional(),
  supports_loop: z.boolean().optional(),
  voices: z.array(z.string()).readonly().optional(),
  default_voice: z.string().optional(),
  supports_language_code: z.boolean().optional(),
  supports_speed: z.boolean().optional(),
  min_speed: z.number().optional(),
  max_speed: z.number().optional(),
  default_speed: z.number().optional(),
});

/** swagger: ModelResponse.model_spec: the common fields, then each model type's own. */
export const modelSpec = musicModelSpec.extend({
  name: z.string(),
  description: z.string().optional(),
  privacy: z.enum(['private', 'anonymized']),
  traits: z.array(z.string()),
  modelSource: z.string(),
  offline: z.boolean(),
  uncensored: z.boolean().optional(),
  deprecation: z
    .object({
      date: z.string(),
      removesAt: z.string(),
      autoRemap: z.boolean(),
      replacementModelId: z.string().optional(),
      startsAt: z.string().optional(),
    })
    .optional(),
  pricing: pricing.optional(),
  availableContextTokens: z.number().optional(),
  maxCompletionTokens: z.number().optional(),
  capabilities: capabilities.optional(),
  constraints: constraints.optional(),
  supported_formats: z.array(z.string()).readonly().optional(),
  /** swagger: TTS Voice Cloning (POST /audio/voices), on models whose engine can clone. */
  voice_cloning: z
    .object({
      mode: z.enum(['zero_shot', 'persistent']),
      accepted_formats: z.array(z.string()).readonly(),
      min_sample_seconds: z.number(),
      retention_days: z.number(),
    })
    .optional(),
  default_format: z.string().optional(),
  supportsStyleReferences: z.boolean().optional(),
  embeddingDimensions: z.number().optional(),
  maxInputTokens: z.number().optional(),
  supportsCustomDimensions: z.boolean().optional(),
});

/** swagger: ModelResponse. */
export const modelResponse = z.object({
  id: z.string(),
  object: z.literal('model'),
  owned_by: z.literal('venice.ai'),
  type: z.enum(MODEL_TYPES),
  created: z.number(),
  context_length: z.number().optional(),
  model_spec: modelSpec,
});

/** swagger: the 200 of GET /models (listModels). */
export const listModelsResponse = z.object({
  object: z.literal('list'),
  type: z.enum([...MODEL_TYPES, 'all', 'code']),
  data: z.array(modelResponse),
});

export type ModelSpec = z.infer<typeof modelSpec>;
export type ModelResponse = z.infer<typeof modelResponse>;
export type ListModelsResponse = z.infer<typeof listModelsResponse>;
