import { createHash } from 'node:crypto';
import { VeniceError } from '../../errors/venice-error.ts';

/** swagger: cryptoRpcProxy, Idempotency-Key: "Retrying within 24 hours with the same key + same body replays". */
const TTL_MS = 24 * 60 * 60 * 1000;

interface Entry<T> {
  bodyHash: string;
  result: Promise<T>;
  expiresAt: number;
  /** The answer's size once it is in (what counts against the cache's bytes). */
  bytes: number;
}

/**
 * Venice's Idempotency-Key for the crypto RPC proxy (rpc.mdx, "Idempotency"): the first request of a (caller, key)
 * runs; a repeat with the same body within 24 hours gets its result again without running (or paying) anything,
 * and one with another body is a 400. A repeat that arrives while the first still runs waits for it. A failed
 * request is forgotten (its retry runs). Held in this process, oldest first out past `maxBytes` of answers.
 */
export class IdempotencyCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (result: T) => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `run`'s result, or the one cached for (caller, key) with `replayed: true`. */
  async once(
    caller: string,
    key: string,
    body: unknown,
    run: () => Promise<T>,
  ): Promise<{ result: T; replayed: boolean }> {
    const id = `${caller}\u0000${key}`;
    const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    this.expire();
    const existing = this.entries.get(id);
    if (existing !== undefined) {
      if (existing.bodyHash !== bodyHash)
        throw new VeniceError('INVALID_REQUEST', {
          message: 'This Idempotency-Key was already used with a different request body',
        });
      return { result: await existing.result, replayed: true };
    }
    const entry: Entry<T> = { bodyHash, result: run(), expiresAt: this.now() + TTL_MS, bytes: 0 };
    this.entries.set(id, entry);
    let result: T;
    try {
      result = await entry.result;
    } catch (error) {
      if (this.entries.get(id) === entry) this.entries.delete(id);
      throw error;
    }
    if (this.entries.get(id) === entry) {
      entry.bytes = this.sizeOf(result);
      this.bytes += entry.bytes;
      this.shrink();
    }
    return { result, replayed: false };
  }

  /** Entries past their 24 hours go (the map is in insertion order, so expiry order). */
  private expire(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.remove(id, entry);
    }
  }

  /** Past maxBytes, the oldest answers go (never one still running: it holds no bytes yet). */
  private shrink(): void {
    for (const [id, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (entry.bytes > 0) this.remove(id, entry);
    }
  }

  private remove(id: string, entry: Entry<T>): void {
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }
}
