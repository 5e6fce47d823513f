import { open } from 'node:fs/promises';
import type { Vad, VadConfig } from './sherpa-onnx-asr-module.ts';

/** A stretch of the audio to recognise: its first sample and its samples (16 kHz mono, -1..1). */
export interface SpeechPiece {
  start: number;
  samples: Float32Array;
}

export const SAMPLE_RATE = 16_000;
/** Silero v5's window at 16 kHz (sherpa-onnx requires 512). */
const WINDOW = 512;
/** Samples read from the decoded file at a time: 64 VAD windows, about 2 s of audio, a few ms of work. */
const CHUNK = 64 * WINDOW;

/**
 * The samples of a headerless 16-bit little-endian mono PCM file, CHUNK at a time as floats (-1..1), so a long
 * recording is never held whole; `signal` stops the reading between chunks.
 */
export async function* pcmChunks(path: string, signal: AbortSignal): AsyncGenerator<Float32Array> {
  const handle = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(CHUNK * 2);
    for (let position = 0; ; ) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, position);
      const count = Math.floor(bytesRead / 2);
      if (count === 0) return;
      position += count * 2;
      const samples = new Float32Array(count);
      for (let index = 0; index < count; index += 1)
        samples[index] = bytes.readInt16LE(index * 2) / 32768;
      yield samples;
    }
  } finally {
    await handle.close();
  }
}

/** The audio cut into consecutive pieces of at most `maxSeconds` (where no VAD is configured). */
export async function* fixedPieces(
  chunks: AsyncIterable<Float32Array>,
  maxSeconds: number,
): AsyncGenerator<SpeechPiece> {
  const size = Math.max(1, Math.floor(maxSeconds * SAMPLE_RATE));
  let piece = new Float32Array(size);
  let filled = 0;
  let start = 0;
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; ) {
      const taken = Math.min(size - filled, chunk.length - offset);
      piece.set(chunk.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === size) {
        yield { start, samples: piece };
        start += size;
        piece = new Float32Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield { start, samples: piece.subarray(0, filled) };
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
 * The stretches of speech Silero VAD finds, in order, as the audio is read: each is given out as soon as the VAD
 * closes it, so recognition of the first overlaps nothing and memory holds one stretch at most. The Vad is made
 * for this call (it holds state) and fed window by window, one chunk (about 2 s) per turn of the event loop.
 */
export async function* vadPieces(
  create: (config: VadConfig, bufferSeconds: number) => Vad,
  settings: VadSettings,
  chunks: AsyncIterable<Float32Array>,
): AsyncGenerator<SpeechPiece> {
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
    // The Vad's buffer holds the speech not yet taken out; pieces are taken after every chunk.
    settings.maxSpeechSeconds + 30,
  );
  const ready = function* (): Generator<SpeechPiece> {
    while (!vad.isEmpty()) {
      const segment = vad.front(false);
      vad.pop();
      yield { start: segment.start, samples: segment.samples };
    }
  };
  const window = new Float32Array(WINDOW);
  let filled = 0;
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; ) {
      const taken = Math.min(WINDOW - filled, chunk.length - offset);
      window.set(chunk.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === WINDOW) {
        vad.acceptWaveform(window);
        filled = 0;
      }
    }
    yield* ready();
  }
  if (filled > 0) {
    window.fill(0, filled);
    vad.acceptWaveform(window);
  }
  vad.flush();
  yield* ready();
}
