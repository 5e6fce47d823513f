import { llamaServerEngine, type LlamaServerEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';
import { modelFilePath } from '../model-file.ts';

/**
 * GGUF models on llama.cpp's own llama-server, run by Rialto as a supervised child process per model: its sequences
 * share each decode (continuous batching), and with a projector (`mmproj`) it takes images.
 */
export const llamaServerKind: EngineKind<LlamaServerEngineConfig> = {
  kind: 'llama-server',
  modelTypes: ['text'],
  configSchema: llamaServerEngine,
  fileOf: (config, modelsDirectory) => modelFilePath(config.path, modelsDirectory),
  check(model) {
    // Images need the projector; audio and video input are not wired yet: a model declaring them would lose them.
    const { supportsVision, supportsAudioInput, supportsVideoInput } = model.capabilities;
    if (supportsVision && model.engine.mmproj === undefined) {
      throw new Error(
        `model ${model.id}: supportsVision on the llama-server engine needs its projector: set engine.mmproj to the model's mmproj GGUF`,
      );
    }
    if (supportsAudioInput || supportsVideoInput)
      throw new Error(`model ${model.id}: the llama-server engine takes text and images only`);
  },
  open: ({ logger, modelsDirectory }) => ({
    async create(model) {
      const { LlamaServerEngine } = await import('./llama-server-engine.ts');
      const { engine, contextSize } = await LlamaServerEngine.start(model, modelsDirectory, logger);
      logger.info(
        {
          model: model.id,
          pid: engine.pid,
          contextSize,
          sequences: model.engine.sequences,
          vision: model.engine.mmproj !== undefined,
        },
        'llama-server model loaded',
      );
      return { engine, contextLength: contextSize };
    },
  }),
};
