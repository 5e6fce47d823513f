import { stat } from 'node:fs/promises';
import { EngineError } from '../engine-error.ts';
import { runProcess } from './run-process.ts';
import { withTimeLimit } from './start-process.ts';

/** The rate of the PCM the speech recognisers read: 16 kHz. */
export const PCM_SAMPLE_RATE = 16_000;

/** How far a decode may go: audio past `maxSeconds` (plus one) is not written, past `timeoutSeconds` ffmpeg is killed. */
export interface PcmDecodeLimits {
  maxSeconds: number;
  timeoutSeconds: number;
}

/**
 * ffmpeg's output options for 16 kHz mono 16-bit little-endian PCM, with `duration` (e.g. `-t N`) among them;
 * the caller adds the input before and the destination after.
 */
export function pcmOutputArgs(duration: readonly string[]): string[] {
  return [
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(PCM_SAMPLE_RATE),
    ...duration,
    '-f',
    's16le',
    '-acodec',
    'pcm_s16le',
  ];
}

/** ffmpeg's options before the output ones: no stdin, errors only, reading `input`. */
export function quietInputArgs(input: string): string[] {
  return ['-nostdin', '-hide_banner', '-v', 'error', '-i', input];
}

/**
 * The signal a recognition of `seconds` of decoded audio runs under: with limits, stuck past the decode limit
 * plus `factor` times the audio's length, it aborts with EngineError 'timeout'.
 */
export function recognitionSignal(
  signal: AbortSignal,
  limits: PcmDecodeLimits | undefined,
  seconds: number,
  factor: number,
): AbortSignal {
  return limits === undefined
    ? signal
    : withTimeLimit(
        signal,
        limits.timeoutSeconds + Math.ceil(seconds * factor),
        'Recognising the audio',
      );
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/**
 * Decodes the file `input` (any container ffmpeg reads) to 16 kHz mono 16-bit PCM in `output`, up to a second
 * past `limits.maxSeconds` (32 KB a second on disk, never in memory whole); returns its length in seconds.
 * Rejects with EngineError 'bad_request' when ffmpeg fails or the result is empty, 'timeout' past the limit.
 */
export async function decodeToPcm(
  ffmpeg: string,
  input: string,
  output: string,
  limits: PcmDecodeLimits | undefined,
  signal: AbortSignal,
): Promise<number> {
  const duration = limits === undefined ? [] : ['-t', String(limits.maxSeconds + 1)];
  const decoded = await runProcess(
    ffmpeg,
    [...quietInputArgs(input), ...pcmOutputArgs(duration), '-y', output],
    limits === undefined
      ? signal
      : withTimeLimit(signal, limits.timeoutSeconds, 'Decoding the audio'),
  );
  if (decoded.code !== 0)
    throw new EngineError(
      'bad_request',
      `The audio could not be decoded: ${firstLine(decoded.stderr)}`,
    );
  const bytes = (await stat(output)).size;
  if (bytes < 2) throw new EngineError('bad_request', 'The audio is empty.');
  return Math.floor(bytes / 2) / PCM_SAMPLE_RATE;
}
