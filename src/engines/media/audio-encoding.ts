import type { AudioFormat } from '../engine.ts';

/** Every format ffmpeg encodes here (swagger: CreateSpeechRequestSchema.response_format). */
export const AUDIO_FORMATS: readonly AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];

/** The sample rate of every answer (pcm is documented by OpenAI as 24 kHz 16-bit mono). */
export const OUTPUT_SAMPLE_RATE = 24_000;

// swagger: /audio/speech 200 content types; INVENTORY §1.3.
export const CONTENT_TYPES: Readonly<Record<AudioFormat, string>> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/**
 * ffmpeg's encoder and muxer for each format, all streamable (written to a pipe, no seeking back):
 * opus in Ogg, aac in ADTS, wav with open-ended sizes, pcm as raw s16le.
 */
const ENCODERS: Readonly<Record<AudioFormat, readonly string[]>> = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  opus: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
  aac: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
  wav: ['-c:a', 'pcm_s16le', '-f', 'wav'],
  pcm: ['-c:a', 'pcm_s16le', '-f', 's16le'],
};

/**
 * ffmpeg's arguments: 16-bit PCM at `inputRate` on stdin, `format` at 24 kHz mono on stdout, each
 * packet flushed as soon as it is encoded (so a stream follows the sentences). `tempo` ≠ 1 stretches
 * the audio without changing its pitch (atempo takes 0.5..100).
 */
export function encoderArguments(
  format: AudioFormat,
  input: { sampleRate: number; channels: number },
  tempo: number,
): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    's16le',
    '-ar',
    String(input.sampleRate),
    '-ac',
    String(input.channels),
    '-i',
    'pipe:0',
    ...(Math.abs(tempo - 1) < 1e-3 ? [] : ['-filter:a', `atempo=${tempo.toFixed(4)}`]),
    '-ar',
    String(OUTPUT_SAMPLE_RATE),
    '-ac',
    '1',
    ...ENCODERS[format],
    '-flush_packets',
    '1',
    'pipe:1',
  ];
}
