import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../engines/media/run-process.ts';
import { VeniceError } from '../errors/venice-error.ts';
import type { Billing } from './billing/meter.ts';
import type { UrlFetcher } from './media/url-fetcher.ts';
import type { TranscriptionOutcome, TranscriptionService } from './transcription-service.ts';

/** ffmpeg's words for a file it read but found no audio in. */
const NO_AUDIO = /does not contain any stream|matches no streams|Output file is empty/i;

/**
 * The audio track of a video as 16 kHz mono WAV. The video goes through a temporary file, not a pipe: an MP4
 * whose index (moov) follows the media cannot be read from a pipe. A file ffmpeg cannot read is 400
 * INVALID_VIDEO_FORMAT; one without sound is 422 ASR_UPSTREAM_VALIDATION_FAILED, as silent audio is.
 */
export async function extractAudio(
  video: Buffer,
  signal: AbortSignal,
  ffmpeg = 'ffmpeg',
): Promise<Buffer> {
  const folder = await mkdtemp(join(tmpdir(), 'rialto-video-'));
  try {
    const input = join(folder, 'video');
    const output = join(folder, 'audio.wav');
    await writeFile(input, video);
    const result = await runProcess(
      ffmpeg,
      [
        '-nostdin',
        '-v',
        'error',
        '-i',
        input,
        '-map',
        '0:a:0',
        '-vn',
        '-ac',
        '1',
        '-ar',
        '16000',
        '-c:a',
        'pcm_s16le',
        '-f',
        'wav',
        output,
      ],
      signal,
    );
    if (result.code !== 0) {
      throw NO_AUDIO.test(result.stderr)
        ? new VeniceError('ASR_UPSTREAM_VALIDATION_FAILED')
        : new VeniceError('INVALID_VIDEO_FORMAT');
    }
    return await readFile(output);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

export interface VideoTranscriptionOutcome extends TranscriptionOutcome {
  /** ISO 639-1 code of the transcript. */
  language: string;
}

/**
 * POST /video/transcriptions: fetches the video (UrlFetcher: size limit, timeout, no private address unless
 * allowed; it must serve a video or audio file, not a web page), extracts its audio, and transcribes it as
 * /audio/transcriptions does with the default asr model: the same per-second price, reserved before
 * recognition and settled after.
 */
export class VideoTranscriptionService {
  constructor(
    private readonly transcriptions: TranscriptionService,
    private readonly fetcher: UrlFetcher,
  ) {}

  async transcribe(
    url: string,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<VideoTranscriptionOutcome> {
    const video = await this.fetcher.fetch(url, {
      field: 'url',
      accept: ['video/', 'audio/'],
      signal,
    });
    const audio = await extractAudio(video.bytes, signal);
    const outcome = await this.transcriptions.transcribe(
      { file: audio, response_format: 'json', timestamps: false },
      'audio.wav',
      signal,
      billing,
    );
    // The transcription engines report no language; the default asr models are English (pocketsphinx en-us), as
    // /audio/transcriptions assumes for verbose_json.
    return { ...outcome, language: 'en' };
  }
}
