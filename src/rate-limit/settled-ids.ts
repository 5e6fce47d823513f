/**
 * The reservation ids settled in the last one to two windows, in two generations swapped as time passes (read on
 * each call, no timer): a settle repeated within `windowMs` of the first is recognised, as RLF's one-point limiter
 * with a `windowMs` duration did, without the expiry timer and record it kept for every request. An id older than
 * that no longer matters: its token window has ended, and a late settle gives nothing back to the next one.
 */
export class SettledIds {
  #recent = new Set<string>();
  #older = new Set<string>();
  #swappedAt = Date.now();

  constructor(private readonly windowMs: number) {}

  /** Records `id`; false when it was already recorded (a second settle of one reservation). */
  add(id: string): boolean {
    const now = Date.now();
    if (now - this.#swappedAt >= this.windowMs) {
      this.#older = now - this.#swappedAt >= 2 * this.windowMs ? new Set() : this.#recent;
      this.#recent = new Set();
      this.#swappedAt = now;
    }
    if (this.#recent.has(id) || this.#older.has(id)) return false;
    this.#recent.add(id);
    return true;
  }
}
