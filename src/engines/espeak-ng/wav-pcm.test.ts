import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../engine-error.ts';
import { pcmOfWav } from './wav-pcm.ts';

function wav(dataSize: number, samples: Buffer, bits = 16): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(0x7fffffff, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(22_050, 24);
  header.writeUInt32LE(44_100, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataSize, 40);
  return Buffer.concat([header, samples]);
}

describe('pcmOfWav', () => {
  it("reads the data chunk to the end when its size is espeak-ng's placeholder", () => {
    const samples = Buffer.from([1, 0, 2, 0, 3, 0]);
    assert.deepEqual(pcmOfWav(wav(0x7ffff000, samples)), {
      sampleRate: 22_050,
      channels: 1,
      samples,
    });
    assert.deepEqual(pcmOfWav(wav(4, samples)).samples, samples.subarray(0, 4));
  });

  it('refuses what is not 16-bit PCM WAV', () => {
    assert.throws(() => pcmOfWav(Buffer.from('not a wav file at all')), EngineError);
    assert.throws(() => pcmOfWav(wav(2, Buffer.from([0, 0]), 8)), EngineError);
  });
});
