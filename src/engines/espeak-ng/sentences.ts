const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/**
 * The input in the pieces synthesized one at a time (one espeak-ng run each): the first sentence alone,
 * so a streamed answer starts early, then sentences joined until a piece has `minLength` characters, so
 * text of many tiny sentences ("Yes. No. …") does not cost one process start per word. Sentences follow
 * Unicode's boundaries (UAX #29); blank ones are dropped. Input of nothing but white space stays one
 * piece, so it still yields a (silent) audio file.
 */
export function splitSentences(text: string, minLength = 200): string[] {
  const sentences = Array.from(segmenter.segment(text), ({ segment }) => segment.trim()).filter(
    (segment) => segment !== '',
  );
  const [first, ...rest] = sentences;
  if (first === undefined) return [text];
  const pieces = [first];
  let current = '';
  for (const sentence of rest) {
    current = current === '' ? sentence : `${current} ${sentence}`;
    if (current.length >= minLength) {
      pieces.push(current);
      current = '';
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}
