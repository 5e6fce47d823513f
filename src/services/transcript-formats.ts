import type { TranscriptionResult } from '../engines/engine.ts';
import type {
  TranscriptionFormat,
  TranscriptionResponse,
  VerboseTranscriptionResponse,
} from '../schemas/transcriptions.ts';

export interface RenderedTranscript {
  contentType: string;
  body: string | TranscriptionResponse | VerboseTranscriptionResponse;
}

/** `HH:MM:SS<separator>mmm`, as SubRip (`,`) and WebVTT (`.`) write cue times. */
function clock(seconds: number, separator: ',' | '.'): string {
  const millis = Math.round(seconds * 1000);
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(millis / 3_600_000), 2)}:${pad(Math.floor(millis / 60_000) % 60, 2)}:${pad(Math.floor(millis / 1000) % 60, 2)}${separator}${pad(millis % 1000, 3)}`;
}

function cues(result: TranscriptionResult, separator: ',' | '.'): string[] {
  const segments = result.segments ?? [{ text: result.text, start: 0, end: result.duration }];
  return segments.map(
    (segment) =>
      `${clock(segment.start, separator)} --> ${clock(segment.end, separator)}\n${segment.text}\n`,
  );
}

/**
 * The response body of each response_format (docs/guides/media/speech-to-text.mdx): json is the swagger's
 * `{text, duration, timestamps?}`; text, srt and vtt are text/plain (the swagger's other media type);
 * verbose_json follows OpenAI's verbose transcription (task, language, duration, text, segments, words).
 */
export function renderTranscript(
  result: TranscriptionResult,
  format: TranscriptionFormat,
  options: { timestamps: boolean; language: string },
): RenderedTranscript {
  const plain = 'text/plain; charset=utf-8';
  switch (format) {
    case 'text':
      return { contentType: plain, body: result.text };
    case 'srt':
      return {
        contentType: plain,
        body: cues(result, ',')
          .map((cue, index) => `${index + 1}\n${cue}`)
          .join('\n'),
      };
    case 'vtt':
      return { contentType: plain, body: `WEBVTT\n\n${cues(result, '.').join('\n')}` };
    case 'verbose_json':
      return {
        contentType: 'application/json; charset=utf-8',
        body: {
          task: 'transcribe',
          language: options.language,
          duration: result.duration,
          text: result.text,
          segments: (result.segments ?? []).map((segment, id) => ({
            id,
            start: segment.start,
            end: segment.end,
            text: segment.text,
          })),
          words: result.words ?? [],
        },
      };
    case 'json': {
      const body: TranscriptionResponse = { text: result.text, duration: result.duration };
      if (options.timestamps)
        body.timestamps = { word: result.words ?? [], segment: result.segments ?? [] };
      return { contentType: 'application/json; charset=utf-8', body };
    }
  }
}
