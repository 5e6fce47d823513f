const OPEN = '<think>';
const CLOSE = '</think>';

export interface SplitPiece {
  kind: 'content' | 'reasoning';
  text: string;
}

/**
 * Splits streamed text with inline `<think>…</think>` blocks into reasoning and content
 * (docs/guides/features/reasoning-models.mdx: legacy `<think>` models). Tags may arrive split across
 * chunks, so a trailing fragment that could start a tag is held back until the next push or `flush`.
 * `startInside` covers templates that open the think block in the prompt (the output starts inside it).
 */
export class ThinkSplitter {
  private inside: boolean;
  private pending = '';
  /** Set after </think> until content starts: a model usually writes newlines there that belong to neither part. */
  private trimNewlines = false;

  constructor(options: { startInside?: boolean } = {}) {
    this.inside = options.startInside ?? false;
  }

  push(text: string): SplitPiece[] {
    const pieces: SplitPiece[] = [];
    let buffer = this.pending + text;
    this.pending = '';
    for (;;) {
      const tag = this.inside ? CLOSE : OPEN;
      const at = buffer.indexOf(tag);
      if (at === -1) break;
      this.emit(pieces, buffer.slice(0, at));
      buffer = buffer.slice(at + tag.length);
      this.inside = !this.inside;
      this.trimNewlines = !this.inside;
    }
    const keep = partialTagLength(buffer, this.inside ? CLOSE : OPEN);
    this.emit(pieces, buffer.slice(0, buffer.length - keep));
    this.pending = buffer.slice(buffer.length - keep);
    return pieces;
  }

  /** Whatever was held back, at the end of the stream. */
  flush(): SplitPiece[] {
    const pieces: SplitPiece[] = [];
    this.emit(pieces, this.pending);
    this.pending = '';
    return pieces;
  }

  private emit(pieces: SplitPiece[], text: string): void {
    if (this.trimNewlines && !this.inside) {
      text = text.replace(/^\n+/, '');
      if (text !== '') this.trimNewlines = false;
    }
    if (text === '') return;
    const kind = this.inside ? 'reasoning' : 'content';
    const last = pieces.at(-1);
    if (last?.kind === kind) last.text += text;
    else pieces.push({ kind, text });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}
