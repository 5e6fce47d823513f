// Shared helpers of the upstream audio e2e tests (upstream-audio-speech / upstream-audio-transcriptions):
// model configs on the audio double, audio checks by magic bytes and ffprobe, word accuracy, and the ledger.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageRecord } from '../../src/storage/store.ts';
import type { TestRialto } from '../support/start-rialto.ts';

export type Format = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

/** Content type (swagger: /audio/speech 200) and container signature of each format. */
export const EXPECTED: Record<
  Format,
  { contentType: string; codec: string; magic: (audio: Buffer) => boolean }
> = {
  mp3: {
    contentType: 'audio/mpeg',
    codec: 'mp3',
    magic: (audio) =>
      audio.subarray(0, 3).toString('latin1') === 'ID3' ||
      (audio[0] === 0xff && ((audio[1] ?? 0) & 0xe0) === 0xe0),
  },
  opus: {
    contentType: 'audio/opus',
    codec: 'opus',
    magic: (audio) =>
      audio.subarray(0, 4).toString('latin1') === 'OggS' &&
      audio.subarray(0, 64).includes('OpusHead'),
  },
  aac: {
    contentType: 'audio/aac',
    codec: 'aac',
    magic: (audio) => audio[0] === 0xff && ((audio[1] ?? 0) & 0xf6) === 0xf0,
  },
  flac: {
    contentType: 'audio/flac',
    codec: 'flac',
    magic: (audio) => audio.subarray(0, 4).toString('latin1') === 'fLaC',
  },
  wav: {
    contentType: 'audio/wav',
    codec: 'pcm_s16le',
    magic: (audio) =>
      audio.subarray(0, 4).toString('latin1') === 'RIFF' &&
      audio.subarray(8, 12).toString('latin1') === 'WAVE',
  },
  pcm: { contentType: 'audio/pcm', codec: 'pcm_s16le', magic: (audio) => audio.length % 2 === 0 },
};
export const FORMATS = Object.keys(EXPECTED) as Format[];

/** The price used everywhere: per 1M characters (tts) and per second (asr). */
export const PER_MILLION_CHARACTERS = 12;
export const PER_SECOND = 0.0001;

export function ttsModel(
  id: string,
  url: string,
  extra: Record<string, unknown> = {},
  engine: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    type: 'tts',
    engine: { kind: 'openai-compatible', endpoints: [{ url }], model: 'kokoro', ...engine },
    pricing: {
      input: { usd: PER_MILLION_CHARACTERS, diem: PER_MILLION_CHARACTERS },
      output: { usd: 0, diem: 0 },
    },
    ...extra,
  };
}

export function asrModel(
  id: string,
  url: string,
  engine: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    type: 'asr',
    engine: { kind: 'openai-compatible', endpoints: [{ url }], model: 'whisper-1', ...engine },
    pricing: {
      input: { usd: 0, diem: 0 },
      output: { usd: 0, diem: 0 },
      per_audio_second: { usd: PER_SECOND, diem: PER_SECOND },
    },
  };
}

/** A temp folder for audio files, and ffprobe's view of audio (codec, seconds ffmpeg decodes at 24 kHz mono). */
export class AudioFolder {
  readonly path = mkdtempSync(join(tmpdir(), 'rialto-upstream-audio-'));
  private files = 0;

  write(name: string, bytes: Buffer): string {
    const path = join(this.path, `${this.files++}-${name}`);
    writeFileSync(path, bytes);
    return path;
  }

  inspect(audio: Buffer, format: Format): { codec: string; seconds: number } {
    const path = this.write(`audio.${format}`, audio);
    const input =
      format === 'pcm' ? ['-f', 's16le', '-ar', '24000', '-ac', '1', '-i', path] : ['-i', path];
    const codec = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        ...(format === 'pcm' ? input.slice(0, -2) : []),
        '-select_streams',
        'a:0',
        '-show_entries',
        'stream=codec_name',
        '-of',
        'csv=p=0',
        path,
      ],
      { encoding: 'utf8' },
    ).trim();
    const decoded = execFileSync(
      'ffmpeg',
      ['-v', 'error', ...input, '-f', 's16le', '-ac', '1', '-ar', '24000', 'pipe:1'],
      { maxBuffer: 1 << 28 },
    );
    return { codec, seconds: decoded.length / 2 / 24_000 };
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** POST /audio/speech with `body` as JSON, under `key` (the inference key by default). */
export function postSpeech(
  rialto: TestRialto,
  body: unknown,
  key = rialto.inferenceKey,
): Promise<Response> {
  return fetch(`${rialto.baseURL}/audio/speech`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The usage records a call adds, and the account's USD balance before and after it. */
export async function ledgerDuring(
  rialto: TestRialto,
  action: () => Promise<void>,
): Promise<{ added: UsageRecord[]; spent: number }> {
  const records = (): Promise<UsageRecord[]> =>
    rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
  const balance = async (): Promise<number> =>
    (await rialto.store.accounts.find('default'))?.usdBalance ?? 0;
  const earlier = new Set((await records()).map((record) => record.id));
  const before = await balance();
  await action();
  return {
    added: (await records()).filter((record) => !earlier.has(record.id)),
    spent: before - (await balance()),
  };
}
