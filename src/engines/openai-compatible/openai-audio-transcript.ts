import type { TranscriptionResult } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamMessage } from '../upstream/upstream-errors.ts';

type Timed = { start: number; end: number };
type Word = Timed & { word: string };
type Segment = Timed & { text: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timedOf(value: unknown): (Timed & Record<string, unknown>) | undefined {
  if (!isRecord(value) || typeof value.start !== 'number' || typeof value.end !== 'number')
    return undefined;
  return { ...value, start: value.start, end: value.end };
}

/**
 * Whisper's word list. OpenAI and speaches send top-level `words` ({word, start, end}); whisper.cpp's server
 * sends none, only its tokens in `segments[].words` (examples/server/server.cpp, verbose_json): pieces that
 * do not start with a space continue the word before ("econ" + "omy", "growing" + ".").
 */
function wordsOf(body: Record<string, unknown>, segments: unknown[]): Word[] {
  const top = Array.isArray(body.words) ? body.words : [];
  const pieces =
    top.length > 0
      ? top
      : segments.flatMap((segment) =>
          isRecord(segment) && Array.isArray(segment.words) ? segment.words : [],
        );
  const words: Word[] = [];
  for (const piece of pieces) {
    const timed = timedOf(piece);
    if (timed === undefined || typeof timed.word !== 'string' || timed.word.trim() === '') continue;
    const previous = words.at(-1);
    if (top.length === 0 && previous !== undefined && !/^\s/.test(timed.word)) {
      previous.word += timed.word.trim();
      previous.end = Math.max(previous.end, timed.end);
    } else {
      words.push({ word: timed.word.trim(), start: timed.start, end: timed.end });
    }
  }
  return words;
}

/**
 * Times in seconds within the audio. LocalAI sends segment times as Go time.Duration, in nanoseconds
 * (core/schema/transcription.go): times that only fit the audio divided by 1e9 are read that way.
 */
function clamped<T extends Timed>(items: T[], duration: number): T[] {
  const latest = Math.max(0, ...items.map((item) => item.end));
  const scale = latest > duration + 1 && latest / 1e9 <= duration + 1 ? 1e-9 : 1;
  const within = (seconds: number): number =>
    Math.round(Math.min(duration, Math.max(0, seconds * scale)) * 1000) / 1000;
  return items.map((item) => ({
    ...item,
    start: within(item.start),
    end: Math.max(within(item.start), within(item.end)),
  }));
}

/**
 * A transcription engine result from an upstream's answer to response_format json or verbose_json
 * (or plain text, from servers that ignore the format). `duration` is Rialto's own measure of the audio,
 * the one billed. An answer with no words is 'bad_request' (the audio held no speech); a 2xx that
 * carries only an error (whisper.cpp's server answers its failures with 200 {"error": …}) is 'failed'.
 */
export function transcriptOf(
  body: unknown,
  duration: number,
  timestamps: boolean,
  label: string,
): TranscriptionResult {
  if (typeof body === 'string') body = { text: body };
  if (!isRecord(body) || typeof body.text !== 'string') {
    throw new EngineError(
      'failed',
      `upstream ${label} answered without a transcript: ${upstreamMessage(body) || JSON.stringify(body).slice(0, 200)}`,
      { status: 502, retryable: false },
    );
  }
  const text = body.text.trim().replace(/\s+/g, ' ');
  if (text === '') throw new EngineError('bad_request', 'No speech was recognised in the audio.');
  if (!timestamps) return { text, duration };
  const rawSegments = Array.isArray(body.segments) ? body.segments : [];
  const segments: Segment[] = rawSegments.flatMap((segment) => {
    const timed = timedOf(segment);
    return timed !== undefined && typeof timed.text === 'string' && timed.text.trim() !== ''
      ? [{ text: timed.text.trim(), start: timed.start, end: timed.end }]
      : [];
  });
  const result: TranscriptionResult = { text, duration };
  const words = wordsOf(body, rawSegments);
  if (segments.length > 0) result.segments = clamped(segments, duration);
  if (words.length > 0) result.words = clamped(words, duration);
  return result;
}
