import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { modelConfigSchema, type Config, type ModelConfig } from '../config.ts';
import type { ModelEntry } from '../services/model-registry.ts';
import type { Engine } from './engine.ts';
import { OpenAiCompatibleEngine } from './openai-compatible/openai-compatible-engine.ts';

export function modelsDirectoryOf(config: Config): string {
  return join(config.dataDirectory, 'models');
}

/** Configured models plus every GGUF in the models folder that no model names (config.discoverModels). */
export function discoverModels(config: Config): ModelConfig[] {
  const directory = modelsDirectoryOf(config);
  if (!config.discoverModels || !existsSync(directory)) return config.models;
  const configured = new Set(config.models.flatMap((model) => (model.engine.kind === 'llama-cpp' ? [basename(model.engine.path)] : [])));
  const ids = new Set(config.models.map((model) => model.id));
  const found = readdirSync(directory).filter((file) => file.endsWith('.gguf') && !configured.has(file)).sort();
  const discovered = found.map((file) => {
    const id = file.replace(/\.gguf$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
    return modelConfigSchema.parse({ id: ids.has(id) ? `local-${id}` : id, name: file, engine: { kind: 'llama-cpp', path: file } });
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

/**
 * Builds the engine of every model. llama.cpp models share one runtime and load here (so a bad GGUF
 * fails the start, not the first request); the llama-cpp code is imported only when a model uses it.
 */
export async function createModelEntries(config: Config, models: ModelConfig[], logger: Logger): Promise<{ entries: ModelEntry[]; close: () => Promise<void> }> {
  const engines: Engine[] = [];
  const entries: ModelEntry[] = [];
  let runtime: import('./llama-cpp/llama-cpp-runtime.ts').LlamaCppRuntime | undefined;
  for (const model of models) {
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
    const add = (engine: Engine, entry: Omit<ModelEntry, 'engine'> = { config: model, engineModel: model.id }): void => {
      engines.push(engine);
      entries.push({ ...entry, engine });
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
      // An optional model (the shipped embedded defaults) whose engine cannot start is left out, not fatal.
      if (!model.optional) throw error;
      logger.warn(`Model ${model.id} is not served: ${(error as Error).message}`);
    }
  }
  return {
    entries,
    close: async () => {
      await Promise.all(engines.map((engine) => engine.close()));
      await runtime?.close();
    },
  };
}
