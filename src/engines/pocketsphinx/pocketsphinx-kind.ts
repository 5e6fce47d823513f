import { pocketsphinxEngine, type PocketsphinxEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** Speech to text with pocketsphinx, run as a child process. */
export const pocketsphinxKind: EngineKind<PocketsphinxEngineConfig> = {
  kind: 'pocketsphinx',
  modelTypes: ['asr'],
  configSchema: pocketsphinxEngine,
  open: () => ({
    create: async (model) => ({
      engine: await (await import('./pocketsphinx-engine.ts')).createPocketsphinxEngine(
        model.engine,
      ),
    }),
  }),
};
