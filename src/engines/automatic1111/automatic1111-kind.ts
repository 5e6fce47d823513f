import { automatic1111Engine, type Automatic1111EngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** An AUTOMATIC1111 / Forge WebUI: txt2img for image models, img2img for inpaint models. */
export const automatic1111Kind: EngineKind<Automatic1111EngineConfig> = {
  kind: 'automatic1111',
  modelTypes: ['image', 'inpaint'],
  configSchema: automatic1111Engine,
  open: () => ({
    async create(model) {
      const { createAutomatic1111Engine } = await import('./automatic1111-engine.ts');
      const defaults = {
        steps: model.imageConstraints.steps.default,
        cfgScale: model.imageConstraints.cfgScale,
      };
      return { engine: createAutomatic1111Engine(model.engine, defaults) };
    },
  }),
};
