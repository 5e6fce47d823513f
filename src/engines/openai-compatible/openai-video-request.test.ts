// How a Venice QueueVideoRequest's duration, aspect_ratio and resolution become /videos' seconds and size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigSchema } from '../../config.ts';
import { SORA_SECONDS, SORA_SIZES, videoSecondsOf, videoSizeOf } from './openai-video-request.ts';

function constraints(extra: Record<string, unknown> = {}) {
  return modelConfigSchema.parse({
    id: 'v',
    type: 'video',
    engine: { kind: 'openai-compatible', endpoints: [{ url: 'http://127.0.0.1:1/v1' }] },
    videoConstraints: extra,
  }).videoConstraints;
}

const size = (width: number, height: number) => ({ width, height });

describe('videoSecondsOf', () => {
  it('takes the nearest supported length, the longer one on a tie', () => {
    const plain = constraints();
    assert.equal(videoSecondsOf('5s', plain, SORA_SECONDS), 4);
    assert.equal(videoSecondsOf('8s', plain, SORA_SECONDS), 8);
    assert.equal(videoSecondsOf('10s', plain, SORA_SECONDS), 12);
    assert.equal(videoSecondsOf('6s', plain, SORA_SECONDS), 8);
    assert.equal(videoSecondsOf('30s', plain, SORA_SECONDS), 12);
    assert.equal(videoSecondsOf('1s', plain, SORA_SECONDS), 4);
  });

  it('uses the lengths the operator configured', () => {
    assert.equal(videoSecondsOf('5s', constraints(), [5, 10]), 5);
    assert.equal(videoSecondsOf('10s', constraints(), [5, 10]), 10);
    assert.equal(videoSecondsOf('7s', constraints(), [5, 10]), 5);
  });

  it('a duration not in seconds (auto, absent) means the longest listed one, as the quote; none listed: the upstream default', () => {
    assert.equal(videoSecondsOf('auto', constraints({ durations: ['4s', '8s'] }), SORA_SECONDS), 8);
    assert.equal(videoSecondsOf(undefined, constraints(), SORA_SECONDS), 12);
    assert.equal(
      videoSecondsOf(undefined, constraints({ durations: ['auto'] }), SORA_SECONDS),
      undefined,
    );
  });
});

describe('videoSizeOf', () => {
  it('maps aspect ratio and resolution to the nearest Sora 2 size', () => {
    const plain = constraints();
    assert.deepEqual(videoSizeOf('16:9', '720p', plain, SORA_SIZES), size(1280, 720));
    assert.deepEqual(videoSizeOf('9:16', '720p', plain, SORA_SIZES), size(720, 1280));
    assert.deepEqual(videoSizeOf('16:9', '1080p', plain, SORA_SIZES), size(1792, 1024));
    assert.deepEqual(videoSizeOf('9:16', '1080p', plain, SORA_SIZES), size(1024, 1792));
    assert.deepEqual(videoSizeOf('9:16', '480p', plain, SORA_SIZES), size(720, 1280));
    assert.deepEqual(videoSizeOf('4:3', '720p', plain, SORA_SIZES), size(1280, 720));
  });

  it('uses the sizes the operator configured; a square with no square size goes to the first listed of the nearest', () => {
    const sizes = ['1920x1080', '1080x1920', '1280x720', '720x1280', '960x960'];
    assert.deepEqual(videoSizeOf('16:9', '1080p', constraints(), sizes), size(1920, 1080));
    assert.deepEqual(videoSizeOf('1:1', '720p', constraints(), sizes), size(960, 960));
    assert.deepEqual(videoSizeOf('1:1', '720p', constraints(), SORA_SIZES), size(720, 1280));
    assert.deepEqual(videoSizeOf('16:9', '4k', constraints(), sizes), size(1920, 1080));
  });

  it('absent or auto: the model’s first listed aspect ratio and resolution, then 16:9 and 720p', () => {
    assert.deepEqual(videoSizeOf(undefined, undefined, constraints(), SORA_SIZES), size(1280, 720));
    assert.deepEqual(
      videoSizeOf(
        'auto',
        undefined,
        constraints({ aspect_ratios: ['9:16', '16:9'], resolutions: ['1080p'] }),
        SORA_SIZES,
      ),
      size(1024, 1792),
    );
  });
});
