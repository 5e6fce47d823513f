import type { Vad, VadConfig } from './sherpa-onnx-asr-module.ts';

/** A stretch of the audio to recognise: its first sample and its samples (16 kHz mono, -1..1). */
export interface SpeechPiece {
  start: number;
  samples: Float32Array;
}

export const SAMPLE_RATE = 16_000;
/** Silero v5's window at 16 kHz (sherpa-onnx requires 512). */
const WINDOW = 512;
/** Windows fed to the Vad between two turns of the event loop (about 2 s of audio, a few ms of work). */
const WINDOWS_A_TURN = 64;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The audio cut into consecutive pieces of at most `maxSeconds` (used where no VAD is configured). */
export function fixedPieces(samples: Float32Array, maxSeconds: number): SpeechPiece[] {
  const size = Math.max(1, Math.floor(maxSeconds * SAMPLE_RATE));
  const pieces: SpeechPiece[] = [];
  for (let start = 0; start < samples.length; start += size)
    pieces.push({
      start,
      samples: samples.subarray(start, Math.min(samples.length, start + size)),
    });
  return pieces;
}

export interface VadSettings {
  model: string;
  /** Speech probability above which a window is speech. */
  threshold: number;
  minSilenceSeconds: number;
  minSpeechSeconds: number;
  /** Longer speech is cut (Whisper reads 30 s at most). */
  maxSpeechSeconds: number;
}

/**
 * The stretches of speech Silero VAD finds, in order. The Vad is made for this call (it holds state) and fed
 * window by window, yielding to the event loop every WINDOWS_A_TURN windows; `signal` stops it between turns.
 */
export async function vadPieces(
  create: (config: VadConfig, bufferSeconds: number) => Vad,
  settings: VadSettings,
  samples: Float32Array,
  signal: AbortSignal,
): Promise<SpeechPiece[]> {
  const vad = create(
    {
      sileroVad: {
        model: settings.model,
        threshold: settings.threshold,
        minSilenceDuration: settings.minSilenceSeconds,
        minSpeechDuration: settings.minSpeechSeconds,
        windowSize: WINDOW,
        maxSpeechDuration: settings.maxSpeechSeconds,
      },
      sampleRate: SAMPLE_RATE,
      numThreads: 1,
      provider: 'cpu',
      debug: 0,
    },
    // The Vad's buffer holds the speech not yet taken out; pieces are taken after every turn.
    settings.maxSpeechSeconds + 30,
  );
  const pieces: SpeechPiece[] = [];
  const drain = (): void => {
    while (!vad.isEmpty()) {
      const segment = vad.front(false);
      pieces.push({ start: segment.start, samples: segment.samples });
      vad.pop();
    }
  };
  const padded = new Float32Array(WINDOW);
  for (let offset = 0, windows = 0; offset < samples.length; offset += WINDOW, windows += 1) {
    if (windows > 0 && windows % WINDOWS_A_TURN === 0) {
      drain();
      await nextTurn();
      signal.throwIfAborted();
    }
    if (offset + WINDOW <= samples.length)
      vad.acceptWaveform(samples.subarray(offset, offset + WINDOW));
    else {
      padded.fill(0);
      padded.set(samples.subarray(offset));
      vad.acceptWaveform(padded);
    }
  }
  vad.flush();
  drain();
  return pieces;
}
