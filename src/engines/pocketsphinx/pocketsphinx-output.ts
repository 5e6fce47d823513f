export interface TimedWord {
  word: string;
  start: number;
  end: number;
}

export interface TimedSegment {
  text: string;
  start: number;
  end: number;
}

// `pocketsphinx_continuous -time yes` prints, per utterance, the hypothesis and then one line per
// recognised token: `word start end posterior`, times in seconds at 100 frames a second; the
// utterance is framed by `<s>` and `</s>`.
const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

/** Fillers and markers: `<s>`, `</s>`, `<sil>`, `[NOISE]`, `++BREATH++`. */
function isFiller(token: string): boolean {
  return token.startsWith('<') || token.startsWith('[') || token.startsWith('+');
}

/** A frame's end time: the reported end is the start of the utterance's last frame (10 ms). */
function endOf(seconds: number): number {
  return Math.round((seconds + 0.01) * 100) / 100;
}

/**
 * Words and utterance segments of pocketsphinx_continuous's `-time yes` output, fillers removed and
 * alternative pronunciations (`been(2)`) named by their word. Utterances without a word are dropped.
 */
export function parsePocketsphinxOutput(stdout: string): {
  words: TimedWord[];
  segments: TimedSegment[];
} {
  const words: TimedWord[] = [];
  const segments: TimedSegment[] = [];
  let utterance: TimedWord[] = [];
  const close = (): void => {
    const first = utterance[0];
    const last = utterance.at(-1);
    if (first !== undefined && last !== undefined) {
      segments.push({
        text: utterance.map((word) => word.word).join(' '),
        start: first.start,
        end: last.end,
      });
      words.push(...utterance);
    }
    utterance = [];
  };
  for (const line of stdout.split('\n')) {
    const match = WORD_LINE.exec(line.trim());
    if (match === null) continue;
    const [, token = '', start = '0', end = '0'] = match;
    if (token === '<s>') close();
    if (token === '</s>') close();
    if (isFiller(token)) continue;
    utterance.push({
      word: token.replace(/\(\d+\)$/, ''),
      start: Number(start),
      end: endOf(Number(end)),
    });
  }
  close();
  return { words, segments };
}
