import type { Readable } from 'node:stream';

/**
 * The pieces of an upstream's body, pulled one at a time: `next()` resolves with the next piece, or undefined at the
 * body's end, and rejects with the body's error (or a premature close). In place of `for await` over the stream,
 * whose iterator (Node's createAsyncIterator and the end-of-stream watcher under it) holds a generator and some ten
 * closures per open stream: four listeners here, set once. The body is paused when a piece arrives that no `next()`
 * waits for (backpressure reaches the upstream), and resumed by the next `next()` that finds nothing waiting.
 */
export class BodyPieces {
  private readonly waiting: Buffer[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(private readonly body: Readable) {
    body.on('data', (piece: Buffer) => {
      this.waiting.push(piece);
      // A reader waiting takes the piece at once: the body flows on (a pause and a resume a piece cost more than the
      // rest of a relayed token). Only a piece nobody waits for pauses it.
      if (this.wake === undefined) body.pause();
      this.notify();
    });
    body.once('end', () => {
      this.ended = true;
      this.notify();
    });
    body.on('error', (error: unknown) => {
      this.failure ??= error;
      this.notify();
    });
    body.once('close', () => {
      // Closed before its end without an error of its own: what Node's iterator calls a premature close.
      if (!this.ended) this.failure ??= new Error('the upstream body closed before its end');
      this.notify();
    });
  }

  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const piece = this.waiting.shift();
      if (piece !== undefined) return piece;
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      if (this.body.isPaused()) this.body.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
