import type { ModelConfig } from '../config.ts';
import type { Engine } from '../engines/engine.ts';
import { VeniceError } from '../errors/venice-error.ts';
import type { ModelType } from '../schemas/models.ts';
import { parseFeatureSuffix } from './feature-suffix.ts';
import type { VeniceParameters } from '../schemas/chat.ts';
import type { ModelResponse } from '../schemas/models-response.ts';
import { modelResponseOf } from './model-response.ts';

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

/**
 * Models from the operator's config: listing, traits, compatibility aliases and resolution of a
 * request's `model` string (INVENTORY §2.4: exact id, trait, alias, then the `venice-` prefix rule).
 */
export class ModelRegistry {
  private readonly byId = new Map<string, ModelEntry>();
  private current: ModelEntry[];
  /** Ids of the models whose engine last said it cannot serve (services/model-health.ts keeps this). */
  private readonly down = new Set<string>();

  constructor(
    entries: readonly ModelEntry[],
    private readonly now: () => Date = () => new Date(),
  ) {
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
    return this.entries.filter(
      (entry) =>
        !this.isRemoved(entry) &&
        (type === 'all' ||
          (type === 'code'
            ? entry.config.type === 'text' && entry.config.capabilities.optimizedForCode
            : entry.config.type === type)),
    );
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
      for (const entry of entries)
        for (const trait of entry.config.traits) map[trait] ??= entry.config.id;
      return map;
    };
    const servingClaims = claims(serving);
    const anyClaims = claims(models);
    // A trait goes to a model that can serve: a claimer that is down (an upstream not running) yields `default` to
    // the first serving model of the type, and its other traits to that default; with none serving, nothing changes.
    const first = (entries: ModelEntry[]): string | undefined =>
      entries.find((entry) => entry.engine.modality !== 'background-removal')?.config.id;
    const fallback = servingClaims.default ?? first(serving);
    const map: Record<string, string> = {};
    for (const trait of new Set([...Object.keys(anyClaims), 'default'])) {
      const id =
        servingClaims[trait] ??
        fallback ??
        anyClaims[trait] ??
        (trait === 'default' ? first(models) : undefined);
      if (id !== undefined) map[trait] = id;
    }
    return map;
  }

  /** alias (e.g. an OpenAI or hosted-Venice model id) → model id for a type. */
  compatibilityMapping(type: ModelType): Record<string, string> {
    const map: Record<string, string> = {};
    for (const entry of this.list(type))
      for (const alias of entry.config.aliases) map[alias] ??= entry.config.id;
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
      const replacement =
        entry.config.deprecation?.autoRemap === true
          ? this.byId.get(entry.config.deprecation.replacementModelId ?? '')
          : undefined;
      if (replacement === undefined || this.isRemoved(replacement))
        throw new VeniceError('MODEL_REMOVED');
      entry = replacement;
    }
    return { entry, suffixParameters };
  }

  private find(reference: string, type: ModelType): ModelEntry | undefined {
    const traitId = this.traits(type)[reference];
    const aliasId = this.compatibilityMapping(type)[reference];
    return (
      this.byId.get(reference) ??
      (traitId === undefined ? undefined : this.byId.get(traitId)) ??
      (aliasId === undefined ? undefined : this.byId.get(aliasId)) ??
      (reference.startsWith('venice-')
        ? this.find(reference.slice('venice-'.length), type)
        : undefined)
    );
  }

  /** swagger: ModelResponse. */
  toModelResponse(entry: ModelEntry): ModelResponse {
    return modelResponseOf(entry, this.isServing(entry));
  }
}

/** The context length the operator configured, else the engine's default for the model. */
export function contextLengthOf(entry: ModelEntry): number {
  return entry.config.contextLength ?? (entry.config.type === 'embedding' ? 8192 : 32_768);
}
