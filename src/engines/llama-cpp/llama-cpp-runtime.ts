import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import type { ModelConfig } from '../../config.ts';
import { llamaCppConfigOf } from './llama-cpp-config.ts';
import { LlamaCppEngine } from './llama-cpp-engine.ts';
import { automaticThreadCount } from './thread-count.ts';

/** Largest default context per sequence; the operator can raise it with engine.contextSize. */
const DEFAULT_CONTEXT_CAP = 8192;

/** Where llama.cpp's warnings and errors go: the server's pino logger, or an isolated process's IPC channel. */
export interface RuntimeLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The process's one llama.cpp instance (node-llama-cpp's prebuilt binaries; never compiled at run time)
 * and the models loaded into it.
 */
export class LlamaCppRuntime {
  private llama: Promise<Llama> | undefined;

  constructor(
    private readonly logger: RuntimeLogger,
    private readonly gpu: boolean = false,
  ) {}

  private instance(): Promise<Llama> {
    this.llama ??= getLlama({
      gpu: this.gpu ? 'auto' : false,
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
          this.logger.error({ engine: 'llama-cpp' }, message);
        else if (level === LlamaLogLevel.warn) this.logger.warn({ engine: 'llama-cpp' }, message);
      },
    });
    return this.llama;
  }

  /** Loads a GGUF and, for text models, its chat context. Throws with the path when the file is missing or bad. */
  async loadEngine(config: ModelConfig, path: string): Promise<LlamaCppEngine> {
    const engineConfig = llamaCppConfigOf(config, path);
    const llama = await this.instance();
    const model = await llama.loadModel({
      modelPath: path,
      gpuLayers: engineConfig.gpuLayers === 'auto' ? 'auto' : engineConfig.gpuLayers,
    });
    const threads = engineConfig.threads === 'auto' ? automaticThreadCount() : engineConfig.threads;
    const wanted =
      engineConfig.contextSize ??
      config.contextLength ??
      Math.min(model.trainContextSize, DEFAULT_CONTEXT_CAP);
    const context =
      config.type === 'text'
        ? await model.createContext({
            contextSize: wanted,
            sequences: engineConfig.sequences,
            threads,
          })
        : undefined;
    return new LlamaCppEngine({
      llama,
      model,
      ...(context === undefined ? {} : { context }),
      maxQueue: engineConfig.maxQueue,
      threads,
      contextSize: context?.contextSize ?? wanted,
    });
  }

  async close(): Promise<void> {
    await (await this.llama)?.dispose();
  }
}
