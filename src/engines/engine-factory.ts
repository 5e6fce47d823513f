import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { modelConfigSchema, type Config, type ModelConfig } from '../config.ts';
import type { ModelEntry } from '../services/model-registry.ts';
import type { Engine } from './engine.ts';
import { OpenAiCompatibleEngine } from './openai-compatible/openai-compatible-engine.ts';

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
  return bytes.toString('latin1') === 'GGUF' ? undefined : 'not a GGUF file (it does not begin with "GGUF")';
}

/** The model a GGUF found in the models folder is served as: id = its file name, lower case; optional. */
/** The id a GGUF in the models folder is served as: its file name, lower case (`local-` first when a configured model has it). */
export function discoveredModelId(file: string): string {
  return file.replace(/\.gguf$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}

export function discoveredModel(file: string, takenIds: ReadonlySet<string>): ModelConfig {
  const id = discoveredModelId(file);
  // Optional: a file that cannot load is left out with a warning naming it, not fatal to the start.
  return modelConfigSchema.parse({ id: takenIds.has(id) ? `local-${id}` : id, name: file, optional: true, engine: { kind: 'llama-cpp', path: file } });
}

/**
 * Configured models plus every GGUF in the models folder that no model names (config.discoverModels). A file
 * named *.gguf that is not one is skipped, with a warning that names it.
 */
export function discoverModels(config: Config, logger?: Pick<Logger, 'warn'>): ModelConfig[] {
  const directory = modelsDirectoryOf(config);
  if (!config.discoverModels || !existsSync(directory)) return config.models;
  const configured = new Set(config.models.flatMap((model) => (model.engine.kind === 'llama-cpp' ? [basename(model.engine.path)] : [])));
  const ids = new Set(config.models.map((model) => model.id));
  const found = readdirSync(directory).filter((file) => file.endsWith('.gguf') && !configured.has(file)).sort();
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

/** The model types each engine kind can serve. */
const TYPES_OF_KIND: Record<ModelConfig['engine']['kind'], readonly ModelConfig['type'][]> = {
  'llama-cpp': ['text', 'embedding'],
  'openai-compatible': ['text', 'embedding', 'tts', 'asr', 'image', 'inpaint', 'video'],
  'espeak-ng': ['tts'],
  pocketsphinx: ['asr'],
  automatic1111: ['image', 'inpaint'],
  esrgan: ['upscale'],
  // A background remover is listed among the image models, as the hosted catalog lists bria-bg-remover.
  'onnx-background-removal': ['image'],
  venice: ['video', 'music'],
};

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
export async function createModelEntries(config: Config, models: ModelConfig[], logger: Logger): Promise<{ entries: ModelEntry[]; close: () => Promise<void> }> {
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

export function createEngineSet(config: Config, logger: Logger): EngineSet {
  const engines: Engine[] = [];
  let runtime: import('./llama-cpp/llama-cpp-runtime.ts').LlamaCppRuntime | undefined;
  const create = async (model: ModelConfig): Promise<ModelEntry | undefined> => {
    const engineConfig = model.engine;
    if (!TYPES_OF_KIND[engineConfig.kind].includes(model.type)) {
      throw new Error(`model ${model.id}: a ${model.type} model cannot use the ${engineConfig.kind} engine`);
    }
    // node-llama-cpp evaluates text only (no multimodal projector): a model that declared image, audio or video
    // input would silently lose it, so the configuration is refused instead.
    const { supportsVision, supportsAudioInput, supportsVideoInput } = model.capabilities;
    if (engineConfig.kind === 'llama-cpp' && (supportsVision || supportsAudioInput || supportsVideoInput)) {
      throw new Error(`model ${model.id}: the llama-cpp engine takes text only; serve a vision, audio or video model from an upstream (engine kind openai-compatible, e.g. llama.cpp's server with --mmproj)`);
    }
    let created: ModelEntry | undefined;
    const add = (engine: Engine, entry: Omit<ModelEntry, 'engine'> = { config: model, engineModel: model.id }): void => {
      engines.push(engine);
      created = { ...entry, engine };
    };
    try {
    switch (engineConfig.kind) {
      case 'openai-compatible':
        if (model.type === 'image' || model.type === 'inpaint') {
          add(new (await import('./openai-compatible/openai-image-engine.ts')).OpenAiImageEngine(engineConfig), { config: model, engineModel: engineConfig.model ?? model.id });
          break;
        }
        if (model.type === 'video') {
          add(new (await import('./openai-compatible/openai-video-engine.ts')).OpenAiVideoEngine(engineConfig, model.videoConstraints), { config: model, engineModel: engineConfig.model ?? model.id });
          break;
        }
        if (model.type === 'tts') {
          add(await (await import('./openai-compatible/openai-speech-engine.ts')).createOpenAiSpeechEngine(engineConfig, model), { config: model, engineModel: engineConfig.model ?? model.id });
          break;
        }
        if (model.type === 'asr') {
          add(await (await import('./openai-compatible/openai-transcription-engine.ts')).createOpenAiTranscriptionEngine(engineConfig), { config: model, engineModel: engineConfig.model ?? model.id });
          break;
        }
        if (model.type !== 'text' && model.type !== 'embedding') throw new Error(`model ${model.id}: ${model.type} models on openai-compatible upstreams are not supported yet`);
        add(new OpenAiCompatibleEngine(engineConfig), { config: model, engineModel: engineConfig.model ?? model.id });
        break;
      case 'llama-cpp': {
        const path = isAbsolute(engineConfig.path) ? engineConfig.path : join(modelsDirectoryOf(config), engineConfig.path);
        let engine: import('./llama-cpp/llama-cpp-engine.ts').LlamaCppEngine | import('./llama-cpp/isolated-llama-cpp-engine.ts').IsolatedLlamaCppEngine;
        if (engineConfig.isolation === 'process') {
          // A process of its own per model: a crash in native code fails its requests, not the server (README, Reliability).
          const { IsolatedLlamaCppEngine } = await import('./llama-cpp/isolated-llama-cpp-engine.ts');
          engine = await IsolatedLlamaCppEngine.start(model, path, logger);
        } else {
          if (runtime === undefined) {
            const { LlamaCppRuntime } = await import('./llama-cpp/llama-cpp-runtime.ts');
            runtime = new LlamaCppRuntime(logger);
          }
          engine = await runtime.loadEngine(model, path);
        }
        add(engine, { config: { ...model, contextLength: model.contextLength ?? engine.contextSize }, engineModel: model.id });
        logger.info({ model: model.id, path, contextSize: engine.contextSize, threads: engine.threads, isolation: engineConfig.isolation, ...('pid' in engine ? { workerPid: engine.pid } : {}) }, 'llama.cpp model loaded');
        break;
      }
      case 'espeak-ng': {
        const { createEspeakNgEngine } = await import('./espeak-ng/espeak-ng-engine.ts');
        add(await createEspeakNgEngine(engineConfig));
        break;
      }
      case 'onnx-background-removal': {
        const { createOnnxBackgroundRemovalEngine } = await import('./onnx-background-removal/onnx-background-removal-engine.ts');
        const path = isAbsolute(engineConfig.path) ? engineConfig.path : join(modelsDirectoryOf(config), engineConfig.path);
        add(await createOnnxBackgroundRemovalEngine(engineConfig, path));
        logger.info({ model: model.id, path }, 'ONNX background-removal model loaded');
        break;
      }
      case 'pocketsphinx': {
        const { createPocketsphinxEngine } = await import('./pocketsphinx/pocketsphinx-engine.ts');
        add(await createPocketsphinxEngine(engineConfig));
        break;
      }
      case 'venice': {
        const { VeniceJobEngine } = await import('./venice/venice-job-engine.ts');
        add(new VeniceJobEngine(engineConfig), { config: model, engineModel: engineConfig.model ?? model.id });
        break;
      }
      case 'esrgan': {
        const { createEsrganEngine } = await import('./esrgan/esrgan-engine.ts');
        add(await createEsrganEngine(engineConfig));
        break;
      }
      case 'automatic1111': {
        const { createAutomatic1111Engine } = await import('./automatic1111/automatic1111-engine.ts');
        add(createAutomatic1111Engine(engineConfig, { steps: model.imageConstraints.steps.default, cfgScale: model.imageConstraints.cfgScale }));
        break;
      }
    }
    } catch (error) {
      const path = engineConfig.kind === 'llama-cpp' || engineConfig.kind === 'onnx-background-removal'
        ? (isAbsolute(engineConfig.path) ? engineConfig.path : join(modelsDirectoryOf(config), engineConfig.path)) : undefined;
      const message = (error as Error).message;
      // The file is named: node-llama-cpp's own errors ("Invalid GGUF magic") do not say which one.
      const named = path === undefined || message.includes(path) ? message : `${path}: ${message}`;
      // An optional model (the shipped embedded defaults, a discovered GGUF) whose engine cannot start is left out, not fatal.
      if (!model.optional) throw new Error(`model ${model.id}: ${named}`, { cause: error });
      logger.warn({ model: model.id, ...(path === undefined ? {} : { path }) }, `Model ${model.id} is not served: ${named}`);
    }
    return created;
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
      await runtime?.close();
    },
  };
}
