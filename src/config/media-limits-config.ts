import { z } from 'zod';

// Caps on decoding the images and audio clients send (engines/untrusted-image.ts, services/transcription-service.ts).

export const IMAGE_DEFAULTS = { maxPixels: 40_000_000, concurrency: 2, timeoutSeconds: 30 };
export const AUDIO_DEFAULTS = { maxSeconds: 14_400, decodeTimeoutSeconds: 120 };

const image = z.strictObject({
  /**
   * The most pixels (first page) of any image decoded, a client's or an engine's; the header of a larger one is read
   * and the image refused (422 IMAGE_TOO_LARGE), its pixels never decoded. The default is above the largest input
   * an endpoint takes (33,177,600) and the largest image Rialto makes (16,777,216).
   */
  maxPixels: z.number().int().positive().default(IMAGE_DEFAULTS.maxPixels),
  /** Image decodes and encodes at once in this process; the rest wait. Below libuv's 4 pool threads, which file and DNS calls share. */
  concurrency: z.number().int().min(1).max(64).default(IMAGE_DEFAULTS.concurrency),
  /** One decode or encode; past it libvips stops it and the image is refused (400 CORRUPTED_IMAGE). */
  timeoutSeconds: z.number().int().min(1).max(3600).default(IMAGE_DEFAULTS.timeoutSeconds),
});

const audio = z.strictObject({
  /**
   * The longest audio transcribed, counted in decoded samples (not the container's claim): decoding stops past it
   * and the request is 400. A 25 MB upload at 14 kbps, the least speech is coded at, lasts about 4 hours.
   */
  maxSeconds: z.number().int().positive().default(AUDIO_DEFAULTS.maxSeconds),
  /** One ffmpeg run on an upload; past it ffmpeg is killed and the request is 504 REQUEST_TIMEOUT. */
  decodeTimeoutSeconds: z.number().int().positive().default(AUDIO_DEFAULTS.decodeTimeoutSeconds),
});

export const mediaLimitsConfig = z
  .strictObject({
    image: image.default(IMAGE_DEFAULTS),
    audio: audio.default(AUDIO_DEFAULTS),
  })
  .default({ image: IMAGE_DEFAULTS, audio: AUDIO_DEFAULTS });

export type MediaLimitsConfig = z.infer<typeof mediaLimitsConfig>;
export type AudioLimits = MediaLimitsConfig['audio'];
