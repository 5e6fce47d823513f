import { chatterboxEngine, type ChatterboxEngineConfig } from '../../config/engine-config.ts';
import type { EngineKind } from '../engine-kind.ts';

/** A Chatterbox TTS server (travisvn/chatterbox-tts-api): speech, and cloned voices in its voice library. */
export const chatterboxKind: EngineKind<ChatterboxEngineConfig> = {
  kind: 'chatterbox',
  modelTypes: ['tts'],
  configSchema: chatterboxEngine,
  open: () => ({
    create: async (model) => ({
      engine: (await import('./chatterbox-engine.ts')).createChatterboxEngine(model.engine),
    }),
  }),
};
