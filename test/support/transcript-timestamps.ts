import assert from 'node:assert/strict';

export interface TimedTranscript {
  text: string;
  duration: number;
  timestamps: {
    word: { word: string; start: number; end: number }[];
    segment: { text: string; start: number; end: number }[];
  };
}

/**
 * A verbose transcript's timestamps (swagger: CreateTranscriptionResponse timestamps): at least ten words and one
 * segment, each list spelling out the text, every entry inside the audio and after the one before it.
 */
export function assertTimestamps(body: TimedTranscript): void {
  const { word, segment } = body.timestamps;
  assert.ok(word.length >= 10, JSON.stringify(word));
  assert.ok(segment.length >= 1);
  assert.equal(word.map((entry) => entry.word).join(' '), body.text);
  assert.equal(segment.map((entry) => entry.text).join(' '), body.text);
  for (const list of [word, segment]) {
    list.forEach((entry, index) => {
      assert.ok(
        entry.start >= 0 && entry.start < entry.end && entry.end <= body.duration,
        JSON.stringify(entry),
      );
      if (index > 0)
        assert.ok(entry.start >= list[index - 1]!.end, JSON.stringify([list[index - 1], entry]));
    });
  }
}
