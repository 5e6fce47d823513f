import {
  onnxBackgroundRemovalEngine,
  type OnnxBackgroundRemovalEngineConfig,
} from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';
import { modelFilePath } from '../model-file.ts';

/**
 * A salient-object ONNX model on onnxruntime-node. Its models are listed among the image models, as the hosted
 * catalog lists bria-bg-remover.
 */
export const onnxBackgroundRemovalKind: EngineKind<OnnxBackgroundRemovalEngineConfig> = {
  kind: 'onnx-background-removal',
  modelTypes: ['image'],
  configSchema: onnxBackgroundRemovalEngine,
  fileOf: (config, modelsDirectory) => modelFilePath(config.path, modelsDirectory),
  open: ({ logger, modelsDirectory }) => ({
    async create(model) {
      const { createOnnxBackgroundRemovalEngine } = await import(
        './onnx-background-removal-engine.ts'
      );
      const path = modelFilePath(model.engine.path, modelsDirectory);
      const engine = await createOnnxBackgroundRemovalEngine(model.engine, path);
      logger.info({ model: model.id, path }, 'ONNX background-removal model loaded');
      return { engine };
    },
  }),
};
