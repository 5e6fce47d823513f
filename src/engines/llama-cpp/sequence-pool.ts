import { EngineError } from '../engine-error.ts';

/**
 * Lends a fixed set of resources (llama.cpp context sequences) to requests. When all are busy, up to
 * `maxQueue` requests wait in arrival order; one more is refused at once with `capacity`
 * (MODEL_AT_CAPACITY). A waiter whose signal aborts leaves the queue immediately.
 */
export class SequencePool<Resource> {
  private readonly idle: Resource[];
  private readonly waiters: {
    resolve: (resource: Resource) => void;
    reject: (error: unknown) => void;
    signal: AbortSignal;
    onAbort: () => void;
  }[] = [];

  /** Resources lent, in all. */
  readonly size: number;

  constructor(
    resources: Resource[],
    private readonly maxQueue: number,
  ) {
    this.idle = [...resources];
    this.size = resources.length;
  }

  /** Resources lent out now. */
  get busy(): number {
    return this.size - this.idle.length;
  }

  /** Requests waiting for a resource now. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * An idle resource, the one `rank` scores highest (the last returned on a tie; prompt caching ranks
   * sequences by the prompt prefix they hold), else a place in the queue; waiters are served in order.
   */
  acquire(signal: AbortSignal, rank?: (resource: Resource) => number): Promise<Resource> {
    if (signal.aborted)
      return Promise.reject(
        new EngineError('failed', 'request aborted by the client', { retryable: false }),
      );
    if (this.idle.length > 0) {
      let best = this.idle.length - 1;
      if (rank !== undefined) {
        let bestScore = rank(this.idle[best]!);
        for (let index = best - 1; index >= 0; index--) {
          const score = rank(this.idle[index]!);
          if (score > bestScore) [best, bestScore] = [index, score];
        }
      }
      return Promise.resolve(this.idle.splice(best, 1)[0]!);
    }
    if (this.waiters.length >= this.maxQueue)
      return Promise.reject(
        new EngineError(
          'capacity',
          `all ${this.size} sequences busy and ${this.maxQueue} requests queued`,
        ),
      );
    return new Promise<Resource>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            new EngineError('failed', 'request aborted by the client while queued', {
              retryable: false,
            }),
          );
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns a resource: the oldest waiter gets it, else it goes back to the idle set. */
  release(resource: Resource): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.idle.push(resource);
      return;
    }
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(resource);
  }
}
