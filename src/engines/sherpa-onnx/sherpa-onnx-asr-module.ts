import { createRequire } from 'node:module';

// The speech-recognition parts of sherpa-onnx-node (1.13.8, CommonJS without type declarations) that Rialto
// calls, typed from its types.js, non-streaming-asr.js and vad.js. OfflineRecognizer.createAsync and decodeAsync
// run on libuv's threadpool, off the event loop; the Vad's calls are synchronous (each window is microseconds).

export interface OfflineRecognizerConfig {
  featConfig: { sampleRate: number; featureDim: number };
  modelConfig: Record<string, unknown> & {
    tokens: string;
    numThreads: number;
    provider: string;
    debug: number;
  };
  decodingMethod?: string;
}

/** OfflineRecognizerResult (C++ OfflineRecognitionResult::AsJsonString). */
export interface RecognitionResult {
  text: string;
  lang?: string;
  tokens?: string[];
  /** Seconds from the start of the piece, one per token (transducers; Whisper with token timestamps). */
  timestamps?: number[];
  /** Seconds, one per token (TDT). */
  durations?: number[];
  segment_timestamps?: number[];
  segment_durations?: number[];
  segment_texts?: string[];
}

export interface OfflineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
}

export interface OfflineRecognizer {
  createStream(): OfflineStream;
  decodeAsync(stream: OfflineStream): Promise<RecognitionResult>;
  setConfig(config: OfflineRecognizerConfig): void;
}

export interface VadConfig {
  sileroVad: {
    model: string;
    threshold: number;
    minSilenceDuration: number;
    minSpeechDuration: number;
    windowSize: number;
    maxSpeechDuration: number;
  };
  sampleRate: number;
  numThreads: number;
  provider: string;
  debug: number;
}

export interface SpeechSegment {
  /** The first sample's index in the audio given to the Vad. */
  start: number;
  samples: Float32Array;
}

export interface Vad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  front(enableExternalBuffer?: boolean): SpeechSegment;
  pop(): void;
  flush(): void;
}

export interface SherpaOnnxAsrModule {
  OfflineRecognizer: { createAsync(config: OfflineRecognizerConfig): Promise<OfflineRecognizer> };
  Vad: new (config: VadConfig, bufferSizeInSeconds: number) => Vad;
}

let loaded: SherpaOnnxAsrModule | undefined;

/** The addon, loaded on first use (the same module sherpa-onnx-module.ts loads for tts). */
export function sherpaOnnxAsr(): SherpaOnnxAsrModule {
  if (loaded === undefined) {
    const module: SherpaOnnxAsrModule = createRequire(import.meta.url)('sherpa-onnx-node');
    loaded = module;
  }
  return loaded;
}
