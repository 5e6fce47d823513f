import { canCloneVoices } from '../engines/voice-cloning.ts';
import type { ModelConfig } from '../config.ts';
import type { ModelResponse, ModelSpec } from '../schemas/models-response.ts';
import { contextLengthOf, type ModelEntry } from './model-registry.ts';
import { ACCEPTED_SAMPLE_FORMATS } from './voices/voice-service.ts';

const RELEASE_DATE = Math.floor(Date.UTC(2026, 0, 1) / 1000);
const FREE = { usd: 0, diem: 0 };

/** The fields of `value` that are set: the spec leaves out what the operator did not configure. */
function definedFields<T extends object>(value: T): Partial<T> {
  const result: Partial<T> = {};
  for (const key in value) if (value[key] !== undefined) result[key] = value[key];
  return result;
}

/** swagger: ModelResponse of one served model; `serving` is whether its engine passed the last health check. */
export function modelResponseOf(entry: ModelEntry, serving: boolean): ModelResponse {
  const { config } = entry;
  const spec: ModelSpec = {
    name: config.name ?? config.id,
    privacy: config.privacy,
    traits: config.traits,
    pricing: config.pricing,
    modelSource: '',
    // Whether its engine could not serve at the last health check (the console's Playground skips such models).
    offline: !serving,
  };
  if (config.description !== undefined) spec.description = config.description;
  if (config.uncensored === true) spec.uncensored = true;
  if (config.deprecation !== undefined) {
    const { warning: _warning, ...deprecation } = config.deprecation;
    spec.deprecation = deprecation;
  }
  if (config.type === 'text') {
    spec.availableContextTokens = contextLengthOf(entry);
    if (config.maxCompletionTokens !== undefined)
      spec.maxCompletionTokens = config.maxCompletionTokens;
    spec.capabilities = config.capabilities;
    spec.constraints = {
      temperature: { default: config.constraints.temperature },
      top_p: { default: config.constraints.top_p },
    };
  } else if (config.type === 'asr') {
    // swagger: ModelResponse.model_spec.pricing, ASR Model Pricing.
    spec.pricing = { per_audio_second: config.pricing.per_audio_second ?? FREE };
  } else if (config.type === 'tts') {
    // swagger: ModelResponse.model_spec voices, supported_formats, default_format; TTS Model Pricing (per 1M characters).
    spec.pricing = { input: config.pricing.input };
    if (entry.engine.modality === 'speech') {
      spec.voices = entry.engine.voices(entry.engineModel);
      spec.supported_formats = entry.engine.formats(entry.engineModel);
    }
    // swagger: TTS Voice Cloning, on models whose engine clones (chatterbox, sherpa-onnx pocket).
    if (canCloneVoices(entry.engine)) {
      const cloning = entry.engine.voiceCloning;
      spec.voice_cloning = {
        mode: cloning.mode,
        accepted_formats: ACCEPTED_SAMPLE_FORMATS,
        min_sample_seconds: cloning.minSampleSeconds,
        retention_days: cloning.retentionDays,
      };
    }
    spec.default_format = config.defaultFormat;
  } else if (config.type === 'image' || config.type === 'upscale' || config.type === 'inpaint') {
    Object.assign(spec, imageSpecOf(config));
  } else if (config.type === 'video') {
    // swagger: Video Model Constraints. No pricing: Venice prices video only through /video/quote (INVENTORY §6.2).
    delete spec.pricing;
    spec.constraints = config.videoConstraints;
  } else if (config.type === 'music') {
    Object.assign(spec, musicSpecOf(config));
  } else {
    spec.pricing = { input: config.pricing.input, output: config.pricing.output };
    if (config.embeddingDimensions !== undefined)
      spec.embeddingDimensions = config.embeddingDimensions;
    spec.maxInputTokens = contextLengthOf(entry);
    spec.supportsCustomDimensions = config.supportsCustomDimensions;
  }
  const response: ModelResponse = {
    id: config.id,
    object: 'model',
    owned_by: 'venice.ai',
    type: config.type,
    created: config.created ?? RELEASE_DATE,
    model_spec: spec,
  };
  if (config.type === 'text') response.context_length = contextLengthOf(entry);
  return response;
}

/**
 * swagger: ModelResponse.model_spec for image, upscale and inpaint models: Image Model Pricing (upscale
 * required) or Inpaint Model Pricing (inpaint required), and Image / Inpaint Model Constraints.
 */
function imageSpecOf(
  config: ModelConfig,
): Pick<ModelSpec, 'pricing' | 'constraints' | 'supportsStyleReferences'> {
  const { pricing, imageConstraints: limits } = config;
  const tiers = definedFields({
    resolutions: limits.resolutions,
    defaultResolution: limits.defaultResolution,
    qualities: limits.qualities,
    defaultQuality: limits.defaultQuality,
  });
  if (config.type === 'inpaint') {
    return {
      pricing: {
        inpaint: pricing.inpaint ?? FREE,
        ...definedFields({
          resolutions: pricing.resolutions,
          inputImages: pricing.inputImages,
          quality: pricing.quality,
        }),
      },
      constraints: {
        aspectRatios: limits.aspectRatios ?? ['auto'],
        promptCharacterLimit: limits.promptCharacterLimit,
        combineImages: limits.combineImages,
        ...definedFields({
          maxInputImages: limits.maxInputImages,
          singleImageAspectRatio: limits.singleImageAspectRatio,
        }),
        ...tiers,
      },
    };
  }
  const imagePricing = {
    ...(pricing.resolutions === undefined
      ? { generation: pricing.generation ?? FREE }
      : { resolutions: pricing.resolutions }),
    ...definedFields({ quality: pricing.quality }),
    upscale: pricing.upscale ?? { '2x': FREE, '4x': FREE },
  };
  if (config.type === 'upscale') return { pricing: imagePricing };
  return {
    pricing: imagePricing,
    constraints: {
      promptCharacterLimit: limits.promptCharacterLimit,
      steps: limits.steps,
      widthHeightDivisor: limits.widthHeightDivisor,
      ...definedFields({
        aspectRatios: limits.aspectRatios,
        defaultAspectRatio: limits.defaultAspectRatio,
      }),
      ...tiers,
    },
    supportsStyleReferences: false,
  };
}

/**
 * swagger: ModelResponse.model_spec for music models: the music pricing shapes the model has (generation,
 * durations, per_second, per_thousand_characters; generation 0 when it has none) and its music fields.
 */
function musicSpecOf(
  config: ModelConfig,
): Pick<ModelSpec, 'pricing'> & Partial<ModelConfig['music']> {
  const {
    generation,
    durations,
    per_second: perSecond,
    per_thousand_characters: perThousand,
  } = config.pricing;
  const pricing = definedFields({
    generation,
    durations,
    per_second: perSecond,
    per_thousand_characters: perThousand,
  });
  return {
    pricing: Object.keys(pricing).length === 0 ? { generation: FREE } : pricing,
    ...definedFields(config.music),
  };
}
