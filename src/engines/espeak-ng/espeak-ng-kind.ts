import { espeakNgEngine, type EspeakNgEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** Text to speech with espeak-ng, run as a child process. */
export const espeakNgKind: EngineKind<EspeakNgEngineConfig> = {
  kind: 'espeak-ng',
  modelTypes: ['tts'],
  configSchema: espeakNgEngine,
  open: () => ({
    create: async (model) => ({
      engine: await (await import('./espeak-ng-engine.ts')).createEspeakNgEngine(model.engine),
    }),
  }),
};
