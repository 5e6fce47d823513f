import type { TranscriptionResult } from '../engine.ts';
import type { RecognitionResult } from './sherpa-onnx-asr-module.ts';

/** A piece of the audio the recognizer ran on, where it starts in the whole file, and what it gave. */
export interface RecognizedPiece {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  result: RecognitionResult;
}

type Word = NonNullable<TranscriptionResult['words']>[number];
type Segment = NonNullable<TranscriptionResult['segments']>[number];

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/**
 * Words from a transducer's tokens and their times (seconds within the piece): a token that begins with a space
 * (SentencePiece's ▁, which sherpa-onnx turns into one) starts a word. A word ends where its last token ends
 * (its TDT duration) or, without one, where the next token starts; times are kept inside the piece and in order.
 */
export function wordsOfTokens(piece: RecognizedPiece): Word[] {
  const tokens = piece.result.tokens ?? [];
  const times = piece.result.timestamps ?? [];
  const durations = piece.result.durations ?? [];
  if (tokens.length === 0 || times.length !== tokens.length) return [];
  const words: Word[] = [];
  let current: { text: string; start: number; last: number } | undefined;
  const close = (nextStart: number): void => {
    if (current === undefined || current.text.trim() === '') return;
    const duration = durations[current.last] ?? 0;
    const tokenEnd = (times[current.last] ?? 0) + duration;
    const end = duration > 0 ? tokenEnd : Math.max(nextStart, tokenEnd);
    words.push({ word: current.text.trim(), start: current.start, end });
  };
  tokens.forEach((token, index) => {
    const start = times[index] ?? 0;
    if (current === undefined || token.startsWith(' ')) {
      close(start);
      current = { text: token, start, last: index };
    } else {
      current.text += token;
      current.last = index;
    }
  });
  close(piece.end - piece.start);
  const length = piece.end - piece.start;
  let floor = 0;
  return words.map((word) => {
    const start = Math.min(Math.max(word.start, floor), length);
    const end = Math.min(Math.max(word.end, start), length);
    floor = end;
    return { word: word.word, start: round(piece.start + start), end: round(piece.start + end) };
  });
}

/**
 * The segments Whisper gave (its segment timestamps, seconds within the piece) when they are usable: each with
 * text, starting after the one before, ending after it starts and not past the piece (a little over is clipped).
 * Undefined otherwise, and the piece is one segment.
 */
export function whisperSegmentsOf(piece: RecognizedPiece): Segment[] | undefined {
  const starts = piece.result.segment_timestamps ?? [];
  const durations = piece.result.segment_durations ?? [];
  const texts = piece.result.segment_texts ?? [];
  const length = piece.end - piece.start;
  if (starts.length === 0 || starts.length !== texts.length || starts.length !== durations.length)
    return undefined;
  const segments: Segment[] = [];
  let floor = 0;
  for (const [index, start] of starts.entries()) {
    const text = (texts[index] ?? '').trim().replace(/\s+/g, ' ');
    const end = start + (durations[index] ?? 0);
    if (text === '') continue;
    if (start < floor - 0.02 || end <= start || start >= length || end > length + 0.5)
      return undefined;
    const from = Math.max(start, floor);
    const to = Math.min(end, length);
    floor = to;
    segments.push({ text, start: round(piece.start + from), end: round(piece.start + to) });
  }
  return segments.length > 0 ? segments : undefined;
}

/**
 * The transcript of the pieces in order: the text is the pieces' texts joined by spaces; segments and words in
 * seconds from the start of the audio, in order and inside it. Words come from a model's token times
 * (Parakeet/NeMo transducers); Whisper without them gives segments only.
 */
export function transcriptOf(
  pieces: RecognizedPiece[],
  duration: number,
  timestamps: boolean,
): TranscriptionResult {
  const words: Word[] = [];
  const segments: Segment[] = [];
  const texts: string[] = [];
  for (const piece of pieces) {
    const pieceWords = wordsOfTokens(piece);
    const pieceSegments = pieceWords.length > 0 ? undefined : whisperSegmentsOf(piece);
    // The piece's text is its words', or its segments', so that they spell the text out exactly.
    const text =
      pieceWords.length > 0
        ? pieceWords.map((word) => word.word).join(' ')
        : pieceSegments !== undefined
          ? pieceSegments.map((segment) => segment.text).join(' ')
          : piece.result.text.trim().replace(/\s+/g, ' ');
    if (text === '') continue;
    texts.push(text);
    words.push(...pieceWords);
    segments.push(
      ...(pieceSegments ?? [{ text, start: round(piece.start), end: round(piece.end) }]),
    );
  }
  const text = texts.join(' ');
  if (!timestamps) return { text, duration };
  return {
    text,
    duration,
    ...(words.length > 0 ? { words } : {}),
    segments,
  };
}
