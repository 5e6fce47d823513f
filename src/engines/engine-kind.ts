import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ModelConfig } from '../config.ts';
import type { ModelType } from '../schemas/models.ts';
import type { Engine } from './engine.ts';

/** The `engine` section of a model in rialto.yaml: its kind, and that kind's own settings. */
export interface EngineKindConfig {
  readonly kind: string;
}

/** A configured model whose engine section is of one kind (`ModelOf<LlamaCppEngineConfig>` is a `ModelConfig`). */
export type ModelOf<Config extends EngineKindConfig> = Omit<ModelConfig, 'engine'> & {
  readonly engine: Config;
};

/** What a kind's engines get from the engine set that makes them. */
export interface EngineKindContext {
  readonly logger: Logger;
  /** Where relative model files live (`<dataDirectory>/models`). */
  readonly modelsDirectory: string;
}

/** An engine a kind made for one model, and what the model's entry takes from it. */
export interface CreatedEngine {
  readonly engine: Engine;
  /** The name the engine knows the model by (an upstream's model name); default: the model's id. */
  readonly engineModel?: string;
  /** The context the engine loaded, for a model that configures no contextLength. */
  readonly contextLength?: number;
}

/** One engine set's engines of a kind: made by `EngineKind.open` on the set's first model of that kind. */
export interface EngineProvider<Config extends EngineKindConfig> {
  /** Starts the model's engine (imports the engine's modules on first use); throws an Error that says why not. */
  create(model: ModelOf<Config>): Promise<CreatedEngine>;
  /** Frees what the kind's engines share (llama.cpp's runtime); called after every engine of the set is closed. */
  close?(): Promise<void>;
}

/**
 * An engine kind, after kysely's `Dialect`: what the registry needs to serve models of `kind`. A kind's module
 * imports only its config schema and types; its engines' modules (native addons, tfjs, onnxruntime) are imported
 * inside `create`, so a server none of whose models use a kind never loads them.
 */
export interface EngineKind<Config extends EngineKindConfig> {
  /** `engine.kind` in rialto.yaml. */
  readonly kind: Config['kind'];
  /** The model types (rialto.yaml `type`) the kind serves; a model of another type fails the start. */
  readonly modelTypes: readonly ModelType[];
  /** Parses the model's engine section (already validated by config.ts, so this only narrows its type). */
  readonly configSchema: z.ZodType<Config>;
  /** The file the engine loads, named in errors that do not name it themselves (node-llama-cpp's do not). */
  fileOf?(config: Config, modelsDirectory: string): string;
  /** Refuses, fatally even for an optional model, a model the kind would serve wrongly; throws an Error why. */
  check?(model: ModelOf<Config>): void;
  /** The kind's provider for one engine set; imports nothing heavy. */
  open(context: EngineKindContext): EngineProvider<Config>;
}
