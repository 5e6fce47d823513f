// Audio that decodes and is not silence: a tone for the fuzz and privacy suites' transcription requests, and a
// WAV of a few bytes that decodes to hours for the audio caps' tests.

/** A tone's pitch, sample rate and loudness (defaults: 440 Hz, 16 kHz, amplitude 8000 of 32767). */
export interface ToneOptions {
  hertz?: number;
  sampleRate?: number;
  amplitude?: number;
}

/** Mono 16-bit WAV of `seconds` of a tone (by default 16 kHz, 440 Hz). */
export function toneWav(
  seconds = 0.5,
  { hertz = 440, sampleRate = 16_000, amplitude = 8000 }: ToneOptions = {},
): Buffer {
  const samples = Math.round(sampleRate * seconds);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(samples * 2, 40);
  for (let index = 0; index < samples; index++)
    wav.writeInt16LE(
      Math.round(amplitude * Math.sin((2 * Math.PI * hertz * index) / sampleRate)),
      44 + index * 2,
    );
  return wav;
}

/** A mono 8-bit PCM WAV at `rate` samples a second holding `samples` of a loud square wave: samples / rate seconds. */
export function slowWav(rate: number, samples: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate, 28); // bytes a second
  header.writeUInt16LE(1, 32); // bytes a frame
  header.writeUInt16LE(8, 34); // bits a sample
  header.write('data', 36);
  header.writeUInt32LE(samples, 40);
  const data = Buffer.alloc(samples);
  for (let index = 0; index < samples; index += 1) data[index] = index % 2 === 0 ? 56 : 200;
  return Buffer.concat([header, data]);
}
