import { createRequire } from 'node:module';

// The parts of sherpa-onnx-node (1.13.8, CommonJS without type declarations) that Rialto calls, typed from its
// types.js and non-streaming-tts.js. Its *Async calls run on libuv's threadpool, off the event loop.

/** OfflineTtsConfig: one family's section under `model`. */
export interface OfflineTtsConfig {
  model: Record<string, unknown> & { numThreads: number; debug: number; provider: string };
  maxNumSentences?: number;
}

export interface GeneratedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface TtsGenerationConfig {
  sid: number;
  speed: number;
  /** Zero-shot families (pocket, zipvoice): the voice to clone, and its sample rate. */
  referenceAudio?: Float32Array;
  referenceSampleRate?: number;
  /** Flow-matching steps (pocket, zipvoice). */
  numSteps?: number;
  /** Family-specific settings, e.g. Kokoro's `lang`. */
  extra?: Record<string, string | number>;
}

export interface OfflineTts {
  readonly numSpeakers: number;
  readonly sampleRate: number;
  generateAsync(request: {
    text: string;
    sid: number;
    speed: number;
    generationConfig?: TtsGenerationConfig;
    enableExternalBuffer?: boolean;
  }): Promise<GeneratedAudio>;
}

export interface SherpaOnnxModule {
  OfflineTts: { createAsync(config: OfflineTtsConfig): Promise<OfflineTts> };
  GenerationConfig: new (options: TtsGenerationConfig) => TtsGenerationConfig;
}

let loaded: SherpaOnnxModule | undefined;

/** The addon, loaded on first use (a server with no sherpa-onnx model never loads it). */
export function sherpaOnnx(): SherpaOnnxModule {
  if (loaded === undefined) {
    const module: SherpaOnnxModule = createRequire(import.meta.url)('sherpa-onnx-node');
    loaded = module;
  }
  return loaded;
}
