import { EngineError } from '../engine-error.ts';

/** Headerless 16-bit little-endian PCM and its layout. */
export interface Pcm {
  sampleRate: number;
  channels: number;
  samples: Buffer;
}

/**
 * The PCM of a RIFF/WAVE file. espeak-ng writes to a pipe with placeholder sizes (0x7fff…), so the
 * `data` chunk runs to the end of the buffer whatever its header says. Throws EngineError 'failed'
 * for anything but 16-bit PCM.
 */
export function pcmOfWav(wav: Buffer): Pcm {
  if (
    wav.length < 12 ||
    wav.toString('latin1', 0, 4) !== 'RIFF' ||
    wav.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    throw new EngineError('failed', `espeak-ng returned no WAV audio (${wav.length} bytes)`);
  }
  let format: { sampleRate: number; channels: number } | undefined;
  for (let offset = 12; offset + 8 <= wav.length; ) {
    const id = wav.toString('latin1', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= wav.length) {
      if (wav.readUInt16LE(body) !== 1 || wav.readUInt16LE(body + 14) !== 16)
        throw new EngineError('failed', 'espeak-ng returned audio that is not 16-bit PCM');
      format = { channels: wav.readUInt16LE(body + 2), sampleRate: wav.readUInt32LE(body + 4) };
    } else if (id === 'data') {
      if (format === undefined) break;
      return { ...format, samples: wav.subarray(body, Math.min(wav.length, body + size)) };
    }
    offset = body + size + (size % 2);
  }
  throw new EngineError('failed', 'espeak-ng returned a WAV file without its fmt and data chunks');
}
