interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Classic group commit: `submit` resolves once the batch holding its item has committed. A batch starts at once
 * (in the event loop's check phase, so items submitted in the same turn of the loop share it) when none is running;
 * items arriving while one runs wait and form the next. Idle, this adds no latency; busy, the store sees one transaction per
 * batch instead of one per item. A batch that fails rejects each of its items with the error (nothing of it was
 * written: it was one transaction).
 */
export class GroupCommit<Item, Result> {
  private queue: Waiting<Item, Result>[] = [];
  private running = false;
  private batches = 0;
  private items = 0;

  /** `commit` writes a batch in one transaction and answers per item, in order; at most `maxBatch` items each. */
  constructor(
    private readonly commit: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running) return;
      this.running = true;
      // After the event loop's poll phase, not in the next microtask: every request whose bytes arrived in this turn
      // of the loop reaches its submit first, so they share the batch (a microtask took them one at a time: each
      // socket's callback runs its microtasks before the next socket's, and a SQLite batch commits without I/O).
      setImmediate(() => void this.drain());
    });
  }

  /** Batches committed and items in them so far: items ÷ batches is the mean batch size. */
  get stats(): { batches: number; items: number } {
    return { batches: this.batches, items: this.items };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.batches += 1;
      this.items += batch.length;
      try {
        const results = await this.commit(batch.map(({ item }) => item));
        batch.forEach((waiting, index) => waiting.resolve(results[index]!));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.running = false;
  }
}
