import type { ModelConfig } from '../config.ts';
import type { Engine } from '../engines/engine.ts';
import { VeniceError } from '../errors/venice-error.ts';
import type { ModelType } from '../schemas/models.ts';
import { parseFeatureSuffix } from './feature-suffix.ts';
import type { VeniceParameters } from '../schemas/chat.ts';

/** A configured model and the engine that serves it. */
export interface ModelEntry {
  readonly config: ModelConfig;
  readonly engine: Engine;
  /** The name the engine knows the model by (the upstream's model name, or the id). */
  readonly engineModel: string;
}

export interface ResolvedModel {
  entry: ModelEntry;
  /** venice_parameters given in the model string (`model:key=value&…`, docs/api-reference/endpoint/chat/model_feature_suffix.mdx). */
  suffixParameters: VeniceParameters;
}

const RELEASE_DATE = Math.floor(Date.UTC(2026, 0, 1) / 1000);

/**
 * Models from the operator's config: listing, traits, compatibility aliases and resolution of a
 * request's `model` string (INVENTORY §2.4: exact id, trait, alias, then the `venice-` prefix rule).
 */
export class ModelRegistry {
  private readonly byId = new Map<string, ModelEntry>();
  private current: ModelEntry[];
  /** Ids of the models whose engine last said it cannot serve (services/model-health.ts keeps this). */
  private readonly down = new Set<string>();

  constructor(entries: readonly ModelEntry[], private readonly now: () => Date = () => new Date()) {
    this.current = [...entries];
    for (const entry of entries) this.byId.set(entry.config.id, entry);
  }

  /** The models served now: a GGUF added to or removed from the models folder changes them (engines/model-folder-watcher.ts). */
  get entries(): readonly ModelEntry[] {
    return this.current;
  }

  /** Serves one more model; false when its id is taken. */
  add(entry: ModelEntry): boolean {
    if (this.byId.has(entry.config.id)) return false;
    this.byId.set(entry.config.id, entry);
    this.current = [...this.current, entry];
    return true;
  }

  /** Stops serving a model (its engine is the caller's to close); the entry, or undefined when there was none. */
  remove(id: string): ModelEntry | undefined {
    const entry = this.byId.get(id);
    if (entry === undefined) return undefined;
    this.byId.delete(id);
    this.down.delete(id);
    this.current = this.current.filter((candidate) => candidate !== entry);
    return entry;
  }

  /** Records whether a model's engine can serve (its last health check). */
  setServing(id: string, serving: boolean): void {
    if (serving) this.down.delete(id);
    else if (this.byId.has(id)) this.down.add(id);
  }

  /** Whether the model's engine could serve at its last health check (true before any). */
  isServing(entry: ModelEntry): boolean {
    return !this.down.has(entry.config.id);
  }

  private isRemoved(entry: ModelEntry): boolean {
    const removesAt = entry.config.deprecation?.removesAt;
    return removesAt !== undefined && Date.parse(removesAt) <= this.now().getTime();
  }

  /** Models of a type (or all, or code = text models optimized for code), without removed ones. */
  list(type: ModelType | 'all' | 'code'): ModelEntry[] {
    return this.entries.filter((entry) => !this.isRemoved(entry) && (type === 'all'
      || (type === 'code' ? entry.config.type === 'text' && entry.config.capabilities.optimizedForCode : entry.config.type === type)));
  }

  /**
   * trait → model id for a type. The first model of a type is its `default` unless one claims it (a
   * background remover, listed among the image models, is never the image default); models that cannot serve
   * yield their traits to one that can.
   */
  traits(type: ModelType): Record<string, string> {
    const models = this.list(type);
    const serving = models.filter((entry) => this.isServing(entry));
    const claims = (entries: ModelEntry[]): Record<string, string> => {
      const map: Record<string, string> = {};
      for (const entry of entries) for (const trait of entry.config.traits) map[trait] ??= entry.config.id;
      return map;
    };
    const servingClaims = claims(serving);
    const anyClaims = claims(models);
    // A trait goes to a model that can serve: a claimer that is down (an upstream not running) yields `default` to
    // the first serving model of the type, and its other traits to that default; with none serving, nothing changes.
    const first = (entries: ModelEntry[]): string | undefined => entries.find((entry) => entry.engine.modality !== 'background-removal')?.config.id;
    const fallback = servingClaims.default ?? first(serving);
    const map: Record<string, string> = {};
    for (const trait of new Set([...Object.keys(anyClaims), 'default'])) {
      const id = servingClaims[trait] ?? fallback ?? anyClaims[trait] ?? (trait === 'default' ? first(models) : undefined);
      if (id !== undefined) map[trait] = id;
    }
    return map;
  }

  /** alias (e.g. an OpenAI or hosted-Venice model id) → model id for a type. */
  compatibilityMapping(type: ModelType): Record<string, string> {
    const map: Record<string, string> = {};
    for (const entry of this.list(type)) for (const alias of entry.config.aliases) map[alias] ??= entry.config.id;
    return map;
  }

  /**
   * Resolves a request's model string for an endpoint that serves `type`. Throws 404 MODEL_NOT_FOUND
   * when nothing matches, 400 INVALID_MODEL when the model exists but is of another type, and
   * 400 INVALID_REQUEST for a malformed feature suffix.
   */
  resolve(model: string, type: ModelType): ResolvedModel {
    const colon = model.indexOf(':');
    const reference = colon === -1 ? model : model.slice(0, colon);
    const suffixParameters = colon === -1 ? {} : parseFeatureSuffix(model.slice(colon + 1));
    let entry = this.find(reference, type);
    if (entry === undefined) throw new VeniceError('MODEL_NOT_FOUND');
    if (entry.config.type !== type) throw new VeniceError('INVALID_MODEL');
    if (this.isRemoved(entry)) {
      const replacement = entry.config.deprecation?.autoRemap === true ? this.byId.get(entry.config.deprecation.replacementModelId ?? '') : undefined;
      if (replacement === undefined || this.isRemoved(replacement)) throw new VeniceError('MODEL_REMOVED');
      entry = replacement;
    }
    return { entry, suffixParameters };
  }

  private find(reference: string, type: ModelType): ModelEntry | undefined {
    const traitId = this.traits(type)[reference];
    const aliasId = this.compatibilityMapping(type)[reference];
    return this.byId.get(reference)
      ?? (traitId === undefined ? undefined : this.byId.get(traitId))
      ?? (aliasId === undefined ? undefined : this.byId.get(aliasId))
      ?? (reference.startsWith('venice-') ? this.find(reference.slice('venice-'.length), type) : undefined);
  }

  /** swagger: ModelResponse. */
  toModelResponse(entry: ModelEntry): Record<string, unknown> {
    const { config } = entry;
    const spec: Record<string, unknown> = {
      name: config.name ?? config.id,
      privacy: config.privacy,
      traits: config.traits,
      pricing: config.pricing,
      modelSource: '',
      // Whether its engine could not serve at the last health check (the console's Playground skips such models).
      offline: !this.isServing(entry),
    };
    if (config.description !== undefined) spec.description = config.description;
    if (config.uncensored === true) spec.uncensored = true;
    if (config.deprecation !== undefined) {
      const { warning: _warning, ...deprecation } = config.deprecation;
      spec.deprecation = deprecation;
    }
    if (config.type === 'text') {
      spec.availableContextTokens = contextLengthOf(entry);
      if (config.maxCompletionTokens !== undefined) spec.maxCompletionTokens = config.maxCompletionTokens;
      spec.capabilities = config.capabilities;
      spec.constraints = { temperature: { default: config.constraints.temperature }, top_p: { default: config.constraints.top_p } };
    } else if (config.type === 'asr') {
      // swagger: ModelResponse.model_spec.pricing, ASR Model Pricing.
      spec.pricing = { per_audio_second: config.pricing.per_audio_second ?? { usd: 0, diem: 0 } };
    } else if (config.type === 'tts') {
      // swagger: ModelResponse.model_spec voices, supported_formats, default_format; TTS Model Pricing (per 1M characters).
      spec.pricing = { input: config.pricing.input };
      if (entry.engine.modality === 'speech') {
        spec.voices = entry.engine.voices(entry.engineModel);
        spec.supported_formats = entry.engine.formats(entry.engineModel);
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
      if (config.embeddingDimensions !== undefined) spec.embeddingDimensions = config.embeddingDimensions;
      spec.maxInputTokens = contextLengthOf(entry);
      spec.supportsCustomDimensions = config.supportsCustomDimensions;
    }
    const response: Record<string, unknown> = { id: config.id, object: 'model', owned_by: 'venice.ai', type: config.type, created: config.created ?? RELEASE_DATE, model_spec: spec };
    if (config.type === 'text') response.context_length = contextLengthOf(entry);
    return response;
  }
}

const FREE = { usd: 0, diem: 0 };

/**
 * swagger: ModelResponse.model_spec for image, upscale and inpaint models: Image Model Pricing (upscale
 * required) or Inpaint Model Pricing (inpaint required), and Image / Inpaint Model Constraints.
 */
function imageSpecOf(config: ModelConfig): Record<string, unknown> {
  const { pricing, imageConstraints: limits } = config;
  const optional = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  const tiers = {
    ...optional('resolutions', limits.resolutions), ...optional('defaultResolution', limits.defaultResolution),
    ...optional('qualities', limits.qualities), ...optional('defaultQuality', limits.defaultQuality),
  };
  if (config.type === 'inpaint') {
    return {
      pricing: {
        inpaint: pricing.inpaint ?? FREE, ...optional('resolutions', pricing.resolutions), ...optional('inputImages', pricing.inputImages), ...optional('quality', pricing.quality),
      },
      constraints: {
        aspectRatios: limits.aspectRatios ?? ['auto'], promptCharacterLimit: limits.promptCharacterLimit, combineImages: limits.combineImages,
        ...optional('maxInputImages', limits.maxInputImages), ...optional('singleImageAspectRatio', limits.singleImageAspectRatio), ...tiers,
      },
    };
  }
  const imagePricing = {
    ...(pricing.resolutions === undefined ? { generation: pricing.generation ?? FREE } : { resolutions: pricing.resolutions }),
    ...optional('quality', pricing.quality),
    upscale: pricing.upscale ?? { '2x': FREE, '4x': FREE },
  };
  if (config.type === 'upscale') return { pricing: imagePricing };
  return {
    pricing: imagePricing,
    constraints: {
      promptCharacterLimit: limits.promptCharacterLimit, steps: limits.steps, widthHeightDivisor: limits.widthHeightDivisor,
      ...optional('aspectRatios', limits.aspectRatios), ...optional('defaultAspectRatio', limits.defaultAspectRatio), ...tiers,
    },
    supportsStyleReferences: false,
  };
}

/**
 * swagger: ModelResponse.model_spec for music models: the music pricing shapes the model has (generation,
 * durations, per_second, per_thousand_characters; generation 0 when it has none) and its music fields.
 */
function musicSpecOf(config: ModelConfig): Record<string, unknown> {
  const { generation, durations, per_second: perSecond, per_thousand_characters: perThousand } = config.pricing;
  const pricing = Object.fromEntries(Object.entries({ generation, durations, per_second: perSecond, per_thousand_characters: perThousand }).filter(([, value]) => value !== undefined));
  const fields = Object.fromEntries(Object.entries(config.music).filter(([, value]) => value !== undefined));
  return { pricing: Object.keys(pricing).length === 0 ? { generation: FREE } : pricing, ...fields };
}

/** The context length the operator configured, else the engine's default for the model. */
export function contextLengthOf(entry: ModelEntry): number {
  return entry.config.contextLength ?? (entry.config.type === 'embedding' ? 8192 : 32_768);
}
