import type { WindowState } from './admission.ts';

interface Window {
  readonly endsAt: number;
  used: number;
}

/**
 * Counters in fixed windows, as rate-limiter-flexible's memory store keeps them (a window of `windowMs` opens at a
 * key's first use; the count resets when it ends), in one Map read and written synchronously: a caller that reads,
 * decides and adds without an await in between needs no lock, and no timer is kept per key.
 */
export class FixedWindows {
  readonly #windows = new Map<string, Window>();
  #sweepAt: number;

  constructor(private readonly windowMs: number) {
    this.#sweepAt = Date.now() + windowMs;
  }

  /** What the window of `key` holds at `now` and when it resets; an unused key reads as a fresh window. */
  read(key: string, now: number): WindowState {
    const window = this.#open(key, now);
    return window === undefined
      ? { used: 0, msBeforeReset: this.windowMs }
      : { used: window.used, msBeforeReset: window.endsAt - now };
  }

  /** Adds `amount` to the window of `key`, opening one at `now` when none is open; the window after, with its end. */
  add(key: string, amount: number, now: number): WindowState & { endsAt: number } {
    let window = this.#open(key, now);
    if (window === undefined) {
      this.#sweep(now);
      window = { endsAt: now + this.windowMs, used: 0 };
      this.#windows.set(key, window);
    }
    window.used += amount;
    return { used: window.used, msBeforeReset: window.endsAt - now, endsAt: window.endsAt };
  }

  /** Takes up to `amount` back from `key`'s window (never below 0), only while it is the one ending at `endsAt`. */
  giveBack(key: string, amount: number, endsAt: number, now: number): void {
    const window = this.#open(key, now);
    if (window !== undefined && window.endsAt === endsAt)
      window.used -= Math.min(amount, window.used);
  }

  #open(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    return window !== undefined && window.endsAt > now ? window : undefined;
  }

  /** Drops ended windows, at most once a window, so the Map holds only the keys used lately. */
  #sweep(now: number): void {
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + this.windowMs;
    for (const [key, window] of this.#windows) if (window.endsAt <= now) this.#windows.delete(key);
  }
}
