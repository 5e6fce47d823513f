import type { OfflineTtsConfig } from './sherpa-onnx-module.ts';

// The IPC between the server and a sherpa-onnx TTS process (sherpa-onnx-tts-process.ts, sherpa-onnx-tts-worker.ts),
// sent with Node's advanced serialization (samples travel as Float32Array).

export type ParentMessage =
  | { type: 'load'; config: OfflineTtsConfig }
  | {
      type: 'generate';
      id: number;
      text: string;
      sid: number;
      speed: number;
      language?: string;
      reference?: Reference;
    };

/** A zero-shot model's reference sample (Pocket TTS): mono float samples and their rate. */
export interface Reference {
  samples: Float32Array;
  sampleRate: number;
}

export type WorkerMessage =
  | { type: 'ready'; sampleRate: number; numSpeakers: number }
  | { type: 'load-failed'; message: string }
  | { type: 'audio'; id: number; samples: Float32Array }
  | { type: 'failed'; id: number; message: string };
