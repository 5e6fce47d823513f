import { veniceEngine, type VeniceEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** Another Venice API: video and music jobs relayed job for job. */
export const veniceKind: EngineKind<VeniceEngineConfig> = {
  kind: 'venice',
  modelTypes: ['video', 'music'],
  configSchema: veniceEngine,
  open: () => ({
    async create(model) {
      const { VeniceJobEngine } = await import('./venice-job-engine.ts');
      return {
        engine: new VeniceJobEngine(model.engine),
        engineModel: model.engine.model ?? model.id,
      };
    },
  }),
};
