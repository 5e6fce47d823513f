import { existsSync } from 'node:fs';
import type { LlamaCppEngineConfig, ModelConfig } from '../../config.ts';

/** The model's llama-cpp engine settings; throws when it has none or its GGUF is missing (before anything loads). */
export function llamaCppConfigOf(config: ModelConfig, path: string): LlamaCppEngineConfig {
  if (config.engine.kind !== 'llama-cpp')
    throw new Error(`model ${config.id} is not a llama-cpp model`);
  if (!existsSync(path))
    throw new Error(
      `model ${config.id}: GGUF not found at ${path} (bring one with 'rialto pull', see the README)`,
    );
  return config.engine;
}
