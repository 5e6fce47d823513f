import { esrganEngine, type EsrganEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** ESRGAN upscaling on TensorFlow.js, which loads only when a model uses this kind. */
export const esrganKind: EngineKind<EsrganEngineConfig> = {
  kind: 'esrgan',
  modelTypes: ['upscale'],
  configSchema: esrganEngine,
  open: () => ({
    create: async (model) => ({
      engine: await (await import('./esrgan-engine.ts')).createEsrganEngine(model.engine),
    }),
  }),
};
