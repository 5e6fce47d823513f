import type { ModelConfig } from '../config.ts';
import { ModelIssues } from './jobs-model-issues.ts';
import type { QueueVideoRequest, QuoteVideoRequest } from './jobs-video.ts';

/** Frames per second of keyframe indexes (swagger: QueueVideoRequest.keyframes, "24 fps"). */
const KEYFRAME_FPS = 24;

/** A value the model lists (swagger: Video Model Constraints; an empty list means the model takes no such choice). */
function checkListed(
  issues: ModelIssues,
  field: string,
  value: string | undefined,
  listed: readonly string[],
): void {
  if (value === undefined || listed.includes(value)) return;
  issues.add(
    field,
    listed.length === 0
      ? `This model does not support ${field}`
      : `This model supports ${field} ${listed.join(', ')}`,
    value,
  );
}

/** A duration the model lists; a model that lists none takes any the schema allows. */
function checkDuration(issues: ModelIssues, duration: string, durations: readonly string[]): void {
  if (durations.length > 0 && !durations.includes(duration))
    issues.add('duration', `This model supports durations ${durations.join(', ')}`, duration);
}

/** Prompt and duration: required, except on upscale models, which take neither prompt nor resolution. */
function checkUpscaleFields(
  model: ModelConfig,
  request: QueueVideoRequest,
  issues: ModelIssues,
): void {
  if (!model.videoUpscale) {
    // zod's "Required", as the wire schema would say it (they are optional there only for upscale models).
    if (request.prompt === undefined) issues.add('prompt', 'Required');
    if (request.duration === undefined) issues.add('duration', 'Required');
    return;
  }
  // video-upscaling.mdx, "Parameters not used for upscale models": prompt and resolution are errors.
  if (request.prompt !== undefined)
    issues.add('prompt', 'Upscaling does not use text prompts', request.prompt.length);
  if (request.resolution !== undefined)
    issues.add('resolution', 'Use upscale_factor instead of resolution', request.resolution);
  if (request.video_url === undefined) issues.add('video_url', 'Required for upscale models');
}

/**
 * /video/queue against the model's constraints (model_spec.constraints, Video Model Constraints): prompt length,
 * duration, aspect ratio, resolution, audio (only audio-configurable models may switch it), and the inputs its
 * model_type needs. An upscale model's duration is not checked: it comes from the video (video-upscaling.mdx).
 * 400 with every problem found.
 */
export function checkQueueVideo(model: ModelConfig, request: QueueVideoRequest): void {
  const limits = model.videoConstraints;
  const issues = new ModelIssues();
  checkUpscaleFields(model, request, issues);
  for (const field of ['prompt', 'negative_prompt'] as const) {
    const text = request[field];
    if (text !== undefined && text.length > limits.prompt_character_limit)
      issues.add(
        field,
        `String must contain at most ${limits.prompt_character_limit} character(s) for this model`,
        text.length,
      );
  }
  if (request.duration !== undefined && !model.videoUpscale)
    checkDuration(issues, request.duration, limits.durations);
  checkListed(issues, 'aspect_ratio', request.aspect_ratio, limits.aspect_ratios);
  if (!model.videoUpscale)
    checkListed(issues, 'resolution', request.resolution, limits.resolutions);
  // video-generation.mdx: `audio` only for models with audio configuration; asking for what the model does anyway is harmless.
  if (request.audio !== undefined && !limits.audio_configurable && request.audio !== limits.audio) {
    issues.add(
      'audio',
      limits.audio ? 'This model always generates audio' : 'This model does not generate audio',
      request.audio,
    );
  }
  if (limits.model_type === 'image-to-video' && request.image_url === undefined)
    issues.add('image_url', 'Required for image-to-video models');
  if (limits.model_type === 'video' && !model.videoUpscale && request.video_url === undefined)
    issues.add('video_url', 'Required for video-to-video models');
  // swagger: reference audio must be paired with at least one reference image or video.
  if (
    (request.reference_audio_urls?.length ?? 0) > 0 &&
    (request.reference_image_urls?.length ?? 0) + (request.reference_video_urls?.length ?? 0) === 0
  ) {
    issues.add(
      'reference_audio_urls',
      'Reference audio must be paired with a reference image or video',
    );
  }
  const seconds = /^(\d+)s$/.exec(request.duration ?? '')?.[1];
  const frames = (request.keyframes ?? []).map((keyframe) => keyframe.frame_index);
  if (new Set(frames).size !== frames.length)
    issues.add('keyframes', 'Each frame_index must be unique');
  if (seconds !== undefined && frames.some((frame) => frame > Number(seconds) * KEYFRAME_FPS))
    issues.add(
      'keyframes',
      `frame_index must be at most ${Number(seconds) * KEYFRAME_FPS} (duration × ${KEYFRAME_FPS})`,
    );
  issues.throwIfAny();
}

/**
 * /video/quote: the inputs that set the price must be ones the model has (duration, resolution); the others
 * are pricing inputs only and are not checked (video-generation.mdx: aspect_ratio is accepted on quote even
 * where queue refuses it).
 */
export function checkQuoteVideo(model: ModelConfig, request: QuoteVideoRequest): void {
  const issues = new ModelIssues();
  // An upscale model's duration is the video's (video-upscaling.mdx): not one of a list.
  if (!model.videoUpscale)
    checkDuration(issues, request.duration, model.videoConstraints.durations);
  if (model.videoConstraints.resolutions.length > 0)
    checkListed(issues, 'resolution', request.resolution, model.videoConstraints.resolutions);
  issues.throwIfAny();
}
