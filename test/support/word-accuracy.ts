/**
 * The share of the reference's words that the hypothesis has, in order (the longest common subsequence of
 * words): how the transcription tests score a recogniser, without punctuation or case.
 */
export function wordAccuracy(reference: string, hypothesis: string): number {
  const expected = reference
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '');
  const heard = hypothesis
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter((word) => word !== '');
  let previous = new Array<number>(heard.length + 1).fill(0);
  for (const word of expected) {
    const row = [0];
    heard.forEach((candidate, index) =>
      row.push(
        candidate === word
          ? (previous[index] ?? 0) + 1
          : Math.max(previous[index + 1] ?? 0, row[index] ?? 0),
      ),
    );
    previous = row;
  }
  return (previous[heard.length] ?? 0) / expected.length;
}
