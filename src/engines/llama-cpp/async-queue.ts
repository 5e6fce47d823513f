/**
 * Bridges callback-style producers (node-llama-cpp's onResponseChunk) to an async iterator.
 * `push` never blocks; the consumer drains in order; `end` / `fail` finish the iteration.
 */
export class AsyncQueue<Item> implements AsyncIterable<Item> {
  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private failure: { error: unknown } | undefined;

  push(item: Item): void {
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.finished = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
