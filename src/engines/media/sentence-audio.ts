import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { AudioFormat } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { splitSentences } from '../espeak-ng/sentences.ts';
import { encoderArguments } from './audio-encoding.ts';
import { type RunningProcess, startProcess } from './start-process.ts';

/** Headerless 16-bit little-endian PCM and its layout. */
export interface SpokenPcm {
  sampleRate: number;
  channels: number;
  samples: Buffer;
}

export interface SentenceAudio {
  /** The ffmpeg binary that encodes. */
  ffmpeg: string;
  text: string;
  format: AudioFormat;
  /** ffmpeg's tempo on top of the engine's own speed (1: none). */
  tempo: number;
  /** The engine's name in errors. */
  engine: string;
  /** Appended to the error when ffmpeg cannot start (an install hint), if any. */
  hint?: string;
  /** What of ffmpeg's stderr goes into the error when it fails. */
  stderrDetail: (stderr: string) => string;
  /** One sentence's PCM; rejects when `signal` aborts. */
  speak: (sentence: string, signal: AbortSignal) => Promise<SpokenPcm>;
}

/** Writes `data`, waiting while the pipe is full; rejects when `signal` aborts. */
async function write(stream: Writable, data: Buffer, signal: AbortSignal): Promise<void> {
  if (data.length > 0 && !stream.write(data)) await once(stream, 'drain', { signal });
}

/**
 * The text spoken sentence by sentence (`speak`), each sentence's PCM piped into one ffmpeg that encodes `format`,
 * so audio streams out while later sentences are still being spoken. Nothing runs until the first read; every
 * child process is dead when the generator ends (last chunk, error, or the reader stopping early).
 */
export async function* speakSentences(
  options: SentenceAudio,
  callSignal: AbortSignal,
): AsyncGenerator<Buffer> {
  const stop = new AbortController();
  const signal = AbortSignal.any([callSignal, stop.signal]);
  let encoder: RunningProcess | undefined;
  let feeding: Promise<void> | undefined;
  let failure: unknown;
  try {
    const [first, ...rest] = splitSentences(options.text);
    const firstPcm = await options.speak(first ?? options.text, signal);
    signal.throwIfAborted();
    const running = startProcess(
      options.ffmpeg,
      encoderArguments(options.format, firstPcm, options.tempo),
      signal,
    );
    encoder = running;
    feeding = (async () => {
      await write(running.child.stdin, firstPcm.samples, signal);
      for (const sentence of rest) {
        const pcm = await options.speak(sentence, signal);
        signal.throwIfAborted();
        if (pcm.sampleRate !== firstPcm.sampleRate || pcm.channels !== firstPcm.channels)
          throw new EngineError(
            'failed',
            `${options.engine} changed its sample format between sentences`,
          );
        await write(running.child.stdin, pcm.samples, signal);
      }
      running.child.stdin.end();
    })().catch((error: unknown) => {
      failure = error;
      stop.abort(error);
    });
    for await (const chunk of running.child.stdout) if (Buffer.isBuffer(chunk)) yield chunk;
    const code = await running.exit.catch((error: unknown) => {
      throw new EngineError(
        'offline',
        `cannot run '${options.ffmpeg}': ${String(error)}${options.hint === undefined ? '' : `; ${options.hint}`}`,
        { cause: error },
      );
    });
    await feeding;
    callSignal.throwIfAborted();
    if (failure !== undefined) throw failure;
    if (code !== 0)
      throw new EngineError(
        'failed',
        `ffmpeg exited with code ${code}: ${options.stderrDetail(running.stderr())}`,
      );
  } finally {
    stop.abort();
    await Promise.allSettled([feeding, encoder?.exit]);
  }
}
