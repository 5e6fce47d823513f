import type { ModelConfig } from '../config.ts';
import type { QueueAudioRequest, QuoteAudioRequest } from './jobs-audio.ts';
import { ModelIssues } from './jobs-model-issues.ts';

type MusicSpec = ModelConfig['music'];

/**
 * A requested duration against the model's duration metadata (swagger: QueueAudioRequest.duration_seconds, "Only
 * supported for models that expose duration metadata"): within min_duration..max_duration when the model has a
 * range (docs/models/music.mdx: "accept any duration_seconds within the model's min_duration–max_duration
 * range"), else one of duration_options.
 */
function checkDuration(issues: ModelIssues, spec: MusicSpec, seconds: number | undefined): void {
  if (seconds === undefined) return;
  const { min_duration: min, max_duration: max, duration_options: options } = spec;
  if (min === undefined && max === undefined) {
    if (options === undefined)
      issues.add('duration_seconds', 'This model does not take a duration', seconds);
    else if (!options.includes(seconds))
      issues.add(
        'duration_seconds',
        `This model supports durations of ${options.join(', ')} seconds`,
        seconds,
      );
    return;
  }
  if (seconds < (min ?? 0) || seconds > (max ?? Number.POSITIVE_INFINITY)) {
    issues.add(
      'duration_seconds',
      `Duration must be between ${min ?? 1} and ${max ?? 'any number of'} seconds for this model`,
      seconds,
    );
  }
}

/** The lyrics rules (swagger: QueueAudioRequest.lyrics_prompt and lyrics_optimizer). */
function checkLyrics(issues: ModelIssues, spec: MusicSpec, request: QueueAudioRequest): void {
  const lyrics = request.lyrics_prompt ?? '';
  if (lyrics !== '' && !spec.supports_lyrics)
    issues.add('lyrics_prompt', 'This model does not take lyrics');
  if (request.lyrics_optimizer === true && lyrics !== '')
    issues.add('lyrics_prompt', 'lyrics_prompt must be empty when lyrics_optimizer is true');
  if (spec.lyrics_required && request.lyrics_optimizer !== true && lyrics.trim() === '')
    issues.add('lyrics_prompt', 'Required for this model');
  if (spec.lyrics_character_limit !== undefined && lyrics.length > spec.lyrics_character_limit) {
    issues.add(
      'lyrics_prompt',
      `String must contain at most ${spec.lyrics_character_limit} character(s) for this model`,
      lyrics.length,
    );
  }
}

/**
 * /audio/queue against the model's music spec (model_spec of /models?type=music). music-and-sound-effects.mdx:
 * "Unsupported fields cause an HTTP 400 response", so an optional field the model does not take is refused
 * whatever its value. 400 with every problem found.
 */
export function checkQueueAudio(model: ModelConfig, request: QueueAudioRequest): void {
  const spec = model.music;
  const issues = new ModelIssues();
  if (spec.min_prompt_length !== undefined && request.prompt.length < spec.min_prompt_length) {
    issues.add(
      'prompt',
      `String must contain at least ${spec.min_prompt_length} character(s) for this model`,
      request.prompt.length,
    );
  }
  if (request.prompt.length > spec.prompt_character_limit)
    issues.add(
      'prompt',
      `String must contain at most ${spec.prompt_character_limit} character(s) for this model`,
      request.prompt.length,
    );
  checkLyrics(issues, spec, request);
  checkDuration(issues, spec, request.duration_seconds);
  const gates = [
    ['force_instrumental', spec.supports_force_instrumental],
    ['lyrics_optimizer', spec.supports_lyrics_optimizer],
    ['loop', spec.supports_loop],
    ['language_code', spec.supports_language_code],
    ['speed', spec.supports_speed],
    ['voice', spec.voices !== undefined],
  ] as const;
  for (const [field, supported] of gates)
    if (request[field] !== undefined && !supported)
      issues.add(field, `This model does not support ${field}`, request[field]);
  if (
    request.voice !== undefined &&
    spec.voices !== undefined &&
    !spec.voices.includes(request.voice)
  ) {
    issues.add('voice', `This model's voices are ${spec.voices.join(', ')}`, request.voice);
  }
  if (
    request.speed !== undefined &&
    spec.supports_speed &&
    (request.speed < (spec.min_speed ?? 0.25) || request.speed > (spec.max_speed ?? 4))
  ) {
    issues.add(
      'speed',
      `Speed must be between ${spec.min_speed ?? 0.25} and ${spec.max_speed ?? 4} for this model`,
      request.speed,
    );
  }
  issues.throwIfAny();
}

/** /audio/quote: the duration as on queue; character_count is required where the price is per thousand characters. */
export function checkQuoteAudio(model: ModelConfig, request: QuoteAudioRequest): void {
  const issues = new ModelIssues();
  checkDuration(issues, model.music, request.duration_seconds);
  if (
    model.pricing.per_thousand_characters !== undefined &&
    request.character_count === undefined
  ) {
    issues.add('character_count', 'Required for this model: it is priced per thousand characters');
  }
  issues.throwIfAny();
}
