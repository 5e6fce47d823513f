import { readFile } from 'node:fs/promises';
import { EngineError } from '../engine-error.ts';
import { pcmOutputArgs, quietInputArgs } from '../media/pcm-decode.ts';
import { startProcess, withTimeLimit } from '../media/start-process.ts';

const SAMPLE_RATE = 16_000;
/** Below this peak (about -54 dBFS) 16-bit audio is silence, as the pocketsphinx engine judges it. */
const SILENCE_PEAK = 64;

export interface UploadName {
  extension: string;
  contentType: string;
}

/**
 * The file name extension OpenAI's /audio/transcriptions recognises (it goes by the name: flac, mp3, mp4,
 * mpeg, mpga, m4a, ogg, wav, webm) for each container ffmpeg names on its `Input #0, <names>, from` line.
 * Other containers (ADTS AAC, AIFF, AMR, …) are sent as FLAC.
 */
const UPLOADS: Readonly<Record<string, UploadName>> = {
  wav: { extension: 'wav', contentType: 'audio/wav' },
  mp3: { extension: 'mp3', contentType: 'audio/mpeg' },
  flac: { extension: 'flac', contentType: 'audio/flac' },
  ogg: { extension: 'ogg', contentType: 'audio/ogg' },
  'matroska,webm': { extension: 'webm', contentType: 'audio/webm' },
  'mov,mp4,m4a,3gp,3g2,mj2': { extension: 'm4a', contentType: 'audio/mp4' },
};

export interface ProbedAudio {
  /** Seconds of audio, from the decoded samples (not the container's claim). */
  seconds: number;
  /** The extension and type to send the original under, or undefined when it must be converted. */
  upload: UploadName | undefined;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Caps on one ffmpeg run (TranscriptionRequest.decodeLimits). */
export interface DecodeLimits {
  /** ffmpeg stops writing a second after this much audio (`-t`), so a few bytes that decode to hours cost seconds. */
  maxSeconds: number;
  /** Past this ffmpeg is killed and the call rejects with EngineError 'timeout'. */
  timeoutSeconds: number;
}

/** ffmpeg's output options that stop it past the cap, and the signal that kills it past the time limit. */
function capped(
  limits: DecodeLimits | undefined,
  signal: AbortSignal,
  what: string,
): { duration: string[]; signal: AbortSignal } {
  if (limits === undefined) return { duration: [], signal };
  return {
    duration: ['-t', String(limits.maxSeconds + 1)],
    signal: withTimeLimit(signal, limits.timeoutSeconds, what),
  };
}

/**
 * Decodes the file at `path` with ffmpeg (16 kHz mono 16-bit, counted as it streams, never stored) to
 * measure its length, up to a second past `limits.maxSeconds`. Audio ffmpeg cannot read, with no audio stream,
 * no samples or only silence is EngineError 'bad_request'; an ffmpeg that does not run is 'offline'.
 */
export async function probeAudio(
  ffmpeg: string,
  path: string,
  callSignal: AbortSignal,
  limits?: DecodeLimits,
): Promise<ProbedAudio> {
  const { duration, signal } = capped(limits, callSignal, 'Decoding the audio');
  const args = [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-v',
    'info',
    '-i',
    path,
    '-map',
    '0:a:0',
    ...pcmOutputArgs(duration),
    'pipe:1',
  ];
  const running = startProcess(ffmpeg, args, signal);
  running.child.stdin.end();
  let bytes = 0;
  let peak = 0;
  let odd: number | undefined;
  for await (const chunk of running.child.stdout) {
    if (!Buffer.isBuffer(chunk)) continue;
    let offset = 0;
    // A sample split between chunks: its low byte ended the last chunk.
    if (odd !== undefined && chunk.length > 0) {
      peak = Math.max(peak, Math.abs(Buffer.from([odd, chunk[0]!]).readInt16LE(0)));
      offset = 1;
    }
    if (peak < SILENCE_PEAK)
      for (; offset + 1 < chunk.length; offset += 2)
        peak = Math.max(peak, Math.abs(chunk.readInt16LE(offset)));
    bytes += chunk.length;
    odd = bytes % 2 === 1 ? chunk[chunk.length - 1] : undefined;
  }
  const code = await running.exit.catch((error: unknown) => {
    throw new EngineError(
      'offline',
      `cannot run '${ffmpeg}' to measure the audio: ${String(error)}; install it with: apt-get install -y ffmpeg`,
      { cause: error },
    );
  });
  signal.throwIfAborted();
  const stderr = running.stderr();
  if (code !== 0)
    throw new EngineError('bad_request', `The audio could not be decoded: ${lastLine(stderr)}`);
  if (bytes < 2) throw new EngineError('bad_request', 'The audio is empty.');
  if (peak < SILENCE_PEAK) throw new EngineError('bad_request', 'The audio is silent.');
  const container = /^Input #0, (.+), from /m.exec(stderr)?.[1] ?? '';
  return { seconds: Math.floor(bytes / 2) / SAMPLE_RATE, upload: UPLOADS[container] };
}

/** The audio at `path` as 16 kHz mono FLAC (what every Whisper model hears anyway), for containers upstreams do not take. */
export async function flacOf(
  ffmpeg: string,
  path: string,
  output: string,
  callSignal: AbortSignal,
  limits?: DecodeLimits,
): Promise<Buffer> {
  const { duration, signal } = capped(limits, callSignal, 'Converting the audio');
  const running = startProcess(
    ffmpeg,
    [
      ...quietInputArgs(path),
      '-map',
      '0:a:0',
      '-vn',
      '-ac',
      '1',
      '-ar',
      String(SAMPLE_RATE),
      ...duration,
      '-c:a',
      'flac',
      '-f',
      'flac',
      '-y',
      output,
    ],
    signal,
  );
  running.child.stdin.end();
  running.child.stdout.resume();
  const code = await running.exit;
  signal.throwIfAborted();
  if (code !== 0)
    throw new EngineError(
      'bad_request',
      `The audio could not be converted: ${lastLine(running.stderr())}`,
    );
  return readFile(output);
}
