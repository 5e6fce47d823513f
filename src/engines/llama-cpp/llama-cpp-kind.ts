import { llamaCppEngine, type LlamaCppEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';
import { modelFilePath } from '../model-file.ts';
import type { LlamaCppRuntime } from './llama-cpp-runtime.ts';

/**
 * GGUF models on node-llama-cpp: in a process of their own per model (`isolation: process`, so a crash in native
 * code fails its requests, not the server: README, Reliability), or in one runtime this engine set shares.
 */
export const llamaCppKind: EngineKind<LlamaCppEngineConfig> = {
  kind: 'llama-cpp',
  modelTypes: ['text', 'embedding'],
  configSchema: llamaCppEngine,
  fileOf: (config, modelsDirectory) => modelFilePath(config.path, modelsDirectory),
  check(model) {
    // node-llama-cpp evaluates text only (no multimodal projector): a model that declared image, audio or video
    // input would silently lose it, so the configuration is refused instead.
    const { supportsVision, supportsAudioInput, supportsVideoInput } = model.capabilities;
    if (supportsVision || supportsAudioInput || supportsVideoInput) {
      throw new Error(
        `model ${model.id}: the llama-cpp engine takes text only; serve a vision, audio or video model from an upstream (engine kind openai-compatible, e.g. llama.cpp's server with --mmproj)`,
      );
    }
  },
  open({ logger, modelsDirectory }) {
    // Loaded on the first in-process model, so that a server whose models are all isolated never loads it here.
    let runtime: Promise<LlamaCppRuntime> | undefined;
    const sharedRuntime = (): Promise<LlamaCppRuntime> =>
      (runtime ??= import('./llama-cpp-runtime.ts').then(
        ({ LlamaCppRuntime }) => new LlamaCppRuntime(logger),
      ));
    return {
      async create(model) {
        const path = modelFilePath(model.engine.path, modelsDirectory);
        const { isolation } = model.engine;
        const engine =
          isolation === 'process'
            ? await (await import('./isolated-llama-cpp-engine.ts')).IsolatedLlamaCppEngine.start(
                model,
                path,
                logger,
              )
            : await (await sharedRuntime()).loadEngine(model, path);
        logger.info(
          {
            model: model.id,
            path,
            contextSize: engine.contextSize,
            threads: engine.threads,
            isolation,
            ...('pid' in engine ? { workerPid: engine.pid } : {}),
          },
          'llama.cpp model loaded',
        );
        return { engine, contextLength: engine.contextSize };
      },
      close: async () => {
        // A runtime whose import failed has nothing to free.
        const loaded = await runtime?.catch(() => undefined);
        await loaded?.close();
      },
    };
  },
};
