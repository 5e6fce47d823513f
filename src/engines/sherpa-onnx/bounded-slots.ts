import { EngineError } from '../engine-error.ts';
import type { EngineLoad } from '../engine.ts';
import { Semaphore } from '../semaphore.ts';

/**
 * A model's turns: `concurrency` requests run at once, up to `maxQueue` more wait in arrival order for at most
 * `waitMs`; one more, or one that waited too long, fails with EngineError 'capacity' (MODEL_AT_CAPACITY).
 */
export class BoundedSlots {
  private readonly slots: Semaphore;

  constructor(
    concurrency: number,
    private readonly maxQueue: number,
    private readonly waitMs: number,
  ) {
    this.slots = new Semaphore(concurrency);
  }

  get load(): EngineLoad {
    return this.slots.load;
  }

  /** A turn's release (call once); rejects with the signal's reason when the caller goes away while waiting. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    const { active, queued, capacity } = this.slots.load;
    if (active >= capacity && queued >= this.maxQueue)
      throw new EngineError('capacity', `${queued} requests already wait for this model`);
    const waited = AbortSignal.timeout(this.waitMs);
    try {
      return await this.slots.acquire(AbortSignal.any([signal, waited]));
    } catch (error) {
      if (!signal.aborted && waited.aborted)
        throw new EngineError('capacity', `no turn for this model within ${this.waitMs} ms`);
      throw error;
    }
  }
}
