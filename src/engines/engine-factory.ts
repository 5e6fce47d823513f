import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { modelConfigSchema, type Config, type ModelConfig } from '../config.ts';
import type { ModelEntry } from '../services/model-registry.ts';
import type { Engine } from './engine.ts';
import { builtInEngineRegistry } from './engine-kinds.ts';
import type { EngineRegistry } from './engine-registry.ts';

export function modelsDirectoryOf(config: Config): string {
  return join(config.dataDirectory, 'models');
}

/** Whether `path` begins with GGUF's magic; the reason it is not a GGUF otherwise. */
export function ggufProblem(path: string): string | undefined {
  let bytes: Buffer;
  try {
    const descriptor = openSync(path, 'r');
    try {
      bytes = Buffer.alloc(4);
      bytes = bytes.subarray(0, readSync(descriptor, bytes, 0, 4, 0));
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    return `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  return bytes.toString('latin1') === 'GGUF'
    ? undefined
    : 'not a GGUF file (it does not begin with "GGUF")';
}

/** The model a GGUF found in the models folder is served as: id = its file name, lower case; optional. */
/** The id a GGUF in the models folder is served as: its file name, lower case (`local-` first when a configured model has it). */
export function discoveredModelId(file: string): string {
  return file
    .replace(/\.gguf$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-');
}

export function discoveredModel(file: string, takenIds: ReadonlySet<string>): ModelConfig {
  const id = discoveredModelId(file);
  // Optional: a file that cannot load is left out with a warning naming it, not fatal to the start.
  return modelConfigSchema.parse({
    id: takenIds.has(id) ? `local-${id}` : id,
    name: file,
    optional: true,
    engine: { kind: 'llama-cpp', path: file },
  });
}

/**
 * Configured models plus every GGUF in the models folder that no model names (config.discoverModels). A file
 * named *.gguf that is not one is skipped, with a warning that names it.
 */
export function discoverModels(config: Config, logger?: Pick<Logger, 'warn'>): ModelConfig[] {
  const directory = modelsDirectoryOf(config);
  if (!config.discoverModels || !existsSync(directory)) return config.models;
  const configured = new Set(
    config.models.flatMap((model) =>
      model.engine.kind === 'llama-cpp' ? [basename(model.engine.path)] : [],
    ),
  );
  const ids = new Set(config.models.map((model) => model.id));
  const found = readdirSync(directory)
    .filter((file) => file.endsWith('.gguf') && !configured.has(file))
    .sort();
  const discovered = found.flatMap((file) => {
    const problem = ggufProblem(join(directory, file));
    if (problem !== undefined) {
      logger?.warn({ file: join(directory, file) }, `Skipped ${join(directory, file)}: ${problem}`);
      return [];
    }
    return [discoveredModel(file, ids)];
  });
  return [...config.models, ...discovered];
}

/** Makes the engines of models one at a time (at start, and as GGUFs come and go); closes them all. */
export interface EngineSet {
  /** The model's entry; undefined for an optional model whose engine could not start (a warning says why). */
  create(model: ModelConfig): Promise<ModelEntry | undefined>;
  /** Closes one engine this set made (a model no longer served). */
  closeOne(engine: Engine): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the engine of every model. llama.cpp models share one runtime and load here (so a bad GGUF
 * fails the start, not the first request); the llama-cpp code is imported only when a model uses it. On a
 * failure, the engines already started are closed before the error (which names the model) is thrown.
 */
export async function createModelEntries(
  config: Config,
  models: ModelConfig[],
  logger: Logger,
): Promise<{ entries: ModelEntry[]; close: () => Promise<void> }> {
  const set = createEngineSet(config, logger);
  const entries: ModelEntry[] = [];
  try {
    for (const model of models) {
      const entry = await set.create(model);
      if (entry !== undefined) entries.push(entry);
    }
  } catch (error) {
    await set.close().catch(() => undefined);
    throw error;
  }
  return { entries, close: () => set.close() };
}

/**
 * The engine set of a server: each model's engine from its kind in the registry (engines/engine-kinds.ts), the
 * kinds' shared resources (llama.cpp's runtime) closed after every engine.
 */
export function createEngineSet(
  config: Config,
  logger: Logger,
  registry: EngineRegistry = builtInEngineRegistry(),
): EngineSet {
  const engines: Engine[] = [];
  const factory = registry.open({ logger, modelsDirectory: modelsDirectoryOf(config) });
  const create = async (model: ModelConfig): Promise<ModelEntry | undefined> => {
    const plan = factory.plan(model);
    try {
      const { engine, engineModel = model.id, contextLength } = await plan.start();
      engines.push(engine);
      const served =
        contextLength === undefined
          ? model
          : { ...model, contextLength: model.contextLength ?? contextLength };
      return { config: served, engine, engineModel };
    } catch (error) {
      const { file } = plan;
      const message = error instanceof Error ? error.message : String(error);
      // The file is named: node-llama-cpp's own errors ("Invalid GGUF magic") do not say which one.
      const named = file === undefined || message.includes(file) ? message : `${file}: ${message}`;
      // An optional model (the shipped embedded defaults, a discovered GGUF) whose engine cannot start is left out, not fatal.
      if (!model.optional) throw new Error(`model ${model.id}: ${named}`, { cause: error });
      logger.warn(
        { model: model.id, ...(file === undefined ? {} : { path: file }) },
        `Model ${model.id} is not served: ${named}`,
      );
      return undefined;
    }
  };
  return {
    create,
    closeOne: async (engine) => {
      const index = engines.indexOf(engine);
      if (index === -1) return;
      engines.splice(index, 1);
      await engine.close();
    },
    close: async () => {
      await Promise.all(engines.map((engine) => engine.close()));
      await factory.close();
    },
  };
}
