import { randomUUID } from 'node:crypto';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Currency, ReserveRequest, Store, UsageInput } from '../../storage/store.ts';
import type { Lease, LeaseHost, LeaseOptions, LeaseTicket } from './lease-types.ts';

export type { LeaseHost, LeaseOptions, LeaseTicket } from './lease-types.ts';

/** At most this many requests' charges in one transaction (their usage records are one INSERT). */
const MAX_BATCH = 256;
/** After a lease was refused for being too small, or a write of charges failed, requests reserve one by one this long. */
const FALLBACK_MS = 1_000;

/**
 * Budget leases (issue #17 item 5): per account, key and limit period, this instance holds a slice of the free
 * balance and of the key's limit (one store transaction, LedgerRepository.acquireLease), reserves and settles requests
 * against it in memory, and writes their charges and usage records in one transaction per lease every flushMs
 * (chargeLease). A lease too small for the next request is replaced (the old one closes once its requests end); one
 * idle for idleMs is closed. Never more is spent than the store granted: a request is served from a lease only while
 * its worst case fits in what is left. Near a limit (the store cannot grant minimumWorstCases) requests reserve one by
 * one in the store, so the last cents are exact across replicas. A crash loses the charges of at most one flush window
 * (never written: the client's favour), and the lease is released when it expires.
 */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private readonly acquiring = new Map<string, Promise<Lease | 'fallback'>>();
  private readonly fallbackUntil = new Map<string, number>();
  private readonly retiring = new Set<Lease>();
  private readonly idle: NodeJS.Timeout;
  /** After a write of charges failed (the store down, the disk full), requests reserve in the store until then. */
  private storeFailedUntil = 0;
  /** Requests served from a lease and not yet charged or released. */
  private serving = 0;

  constructor(
    private readonly store: Store,
    private readonly options: LeaseOptions,
    private readonly host: LeaseHost,
    private readonly now: () => number = Date.now,
  ) {
    this.idle = setInterval(() => this.retireIdle(), Math.max(50, options.idleMs / 2));
    this.idle.unref();
  }

  /**
   * Serves `request` (its worst case `request.amount`) from a lease of its account, key and period, acquiring one
   * if needed; 'fallback' where the store would grant none big enough (reserve it in the store instead); throws the
   * 402 the store would give the request alone.
   */
  async take(request: ReserveRequest): Promise<LeaseTicket | 'fallback'> {
    const book = `${request.accountId}\u0000${request.keyId}\u0000${request.period}`;
    // The store failed a write a moment ago: requests go to it one by one (and fail there as they would without
    // leases), rather than pile up charges in memory that a crash would lose.
    if (this.now() < this.storeFailedUntil) return 'fallback';
    for (let attempt = 0; attempt < 4; attempt++) {
      const lease = this.leases.get(book);
      if (lease !== undefined && lease.granted - lease.held - lease.owed >= request.amount)
        return this.hold(lease, request);
      if ((this.fallbackUntil.get(book) ?? 0) > this.now()) return 'fallback';
      let acquired = this.acquiring.get(book);
      const own = acquired === undefined;
      if (acquired === undefined) {
        acquired = this.acquire(book, request).finally(() => this.acquiring.delete(book));
        this.acquiring.set(book, acquired);
      }
      let outcome: Lease | 'fallback';
      try {
        outcome = await acquired;
      } catch (error) {
        // Another request's refusal (its worst case did not fit) is not this one's: it tries for itself.
        if (own) throw error;
        continue;
      }
      if (outcome === 'fallback') return 'fallback';
    }
    // Others kept taking every new lease first: this one reserves alone.
    return 'fallback';
  }

  /** Requests served from a lease now (not yet charged or released). */
  get inFlight(): number {
    return this.serving;
  }

  /** Leases this instance holds, retiring ones included (each is a reservation the Meter renews). */
  get count(): number {
    return this.leases.size + this.retiring.size;
  }

  /** Charges and closes every lease (a graceful shutdown, after the requests settled); resolves once written. */
  async close(): Promise<void> {
    clearInterval(this.idle);
    for (const lease of [...this.leases.values()]) this.retire(lease);
    await Promise.all(
      [...this.retiring].map(async (lease) => {
        // Requests still in flight at the deadline: their leases are written as they stand and closed.
        for (let round = 0; lease.state !== 'closed' && round < 20; round++)
          await this.flush(lease, true);
      }),
    );
  }

  /** The money of `accountId`'s leases nobody's request holds (free to spend, though reserved in the store). */
  unused(accountId: string): Record<Currency, number> {
    const unused = { USD: 0, DIEM: 0 };
    // Retiring ones too: what is left in them stays reserved in the store until they close.
    for (const lease of [...this.leases.values(), ...this.retiring])
      if (lease.accountId === accountId)
        unused[lease.currency] += lease.granted - lease.held - lease.owed;
    return unused;
  }

  /**
   * Gives back the leases of key `keyId` (every key's when undefined): its limits or its account changed, so the next
   * request takes a new lease under them (or is refused); those in flight settle on the old ones.
   */
  retireKey(keyId: string | undefined): void {
    for (const lease of [...this.leases.values()])
      if (keyId === undefined || lease.keyId === keyId) this.retire(lease);
  }

  /** Writes every lease's charges now (a read of balances or usage follows). */
  async flushAll(): Promise<void> {
    await Promise.all(
      [...this.leases.values(), ...this.retiring].map((lease) => this.flush(lease, false)),
    );
  }

  private async acquire(book: string, request: ReserveRequest): Promise<Lease | 'fallback'> {
    const id = randomUUID();
    const outcome = await this.store.ledger.acquireLease({
      ...request,
      reservationId: id,
      requestId: `lease-${id}`,
      // Within the exact integer range whatever the worst case (the store grants at most half of what is left).
      size: Math.min(Number.MAX_SAFE_INTEGER, request.amount * this.options.worstCases),
      minimum: Math.min(Number.MAX_SAFE_INTEGER, request.amount * this.options.minimumWorstCases),
    });
    if (!outcome.reserved) {
      // Near the limit: this instance's lease of the book goes back too (once its requests end), so what is left
      // is reserved request by request by every instance.
      const previous = this.leases.get(book);
      if (previous !== undefined) this.retire(previous);
      if (outcome.reason !== 'fallback') throw new VeniceError(outcome.reason);
      this.fallbackUntil.set(book, this.now() + FALLBACK_MS);
      return 'fallback';
    }
    this.fallbackUntil.delete(book);
    const lease: Lease = {
      id,
      book,
      accountId: request.accountId,
      keyId: request.keyId,
      currency: outcome.currency,
      granted: outcome.amount,
      held: 0,
      owed: 0,
      charges: [],
      state: 'open',
      lastUsed: this.now(),
      timer: undefined,
      flushing: undefined,
    };
    this.host.renewing.add(id);
    const previous = this.leases.get(book);
    this.leases.set(book, lease);
    if (previous !== undefined) this.retire(previous);
    return lease;
  }

  private hold(lease: Lease, request: ReserveRequest): LeaseTicket {
    const worstCase = request.amount;
    lease.held += worstCase;
    this.serving += 1;
    lease.lastUsed = this.now();
    let done = false;
    const end = (charge: number, usage: UsageInput): void => {
      if (done) return;
      done = true;
      lease.held -= worstCase;
      this.serving -= 1;
      // A lease found closed meanwhile: nothing can be written to it (lost, in the client's favour).
      if (lease.state !== 'closed') {
        lease.owed += charge;
        lease.charges.push({
          id: request.reservationId,
          requestId: request.requestId,
          modelId: request.modelId,
          usage: { ...usage, amount: charge },
        });
      }
      this.schedule(lease);
    };
    return {
      currency: lease.currency,
      charge: (usage) => end(Math.max(0, Math.min(usage.amount, worstCase)), usage),
      release: (usage) => end(0, usage),
    };
  }

  private retire(lease: Lease): void {
    if (lease.state !== 'open') return;
    lease.state = 'retiring';
    if (this.leases.get(lease.book) === lease) this.leases.delete(lease.book);
    this.retiring.add(lease);
    this.schedule(lease);
  }

  private retireIdle(): void {
    const now = this.now();
    for (const lease of [...this.leases.values()])
      if (lease.held === 0 && now - lease.lastUsed >= this.options.idleMs) this.retire(lease);
  }

  /** A flush of `lease` within flushMs, unless one is due. */
  private schedule(lease: Lease, delayMs = this.options.flushMs): void {
    if (lease.timer !== undefined || lease.state === 'closed') return;
    lease.timer = setTimeout(() => {
      lease.timer = undefined;
      void this.flush(lease, false);
    }, delayMs);
  }

  /**
   * Writes `lease`'s charges (MAX_BATCH a transaction) and closes it once retiring with nothing in flight. One write
   * at a time per lease; `force` closes a retiring lease whatever is in flight (the shutdown's last pass).
   */
  private async flush(lease: Lease, force: boolean): Promise<void> {
    while (lease.flushing !== undefined) await lease.flushing;
    if (lease.state === 'closed') return;
    const closing = (): boolean =>
      lease.state === 'retiring' &&
      (lease.held === 0 || force) &&
      lease.charges.length <= MAX_BATCH;
    if (lease.charges.length === 0 && !closing()) return;
    const batch = lease.charges.splice(0, MAX_BATCH);
    const total = batch.reduce((sum, charge) => sum + charge.usage.amount, 0);
    const close = closing();
    let failed = false;
    lease.flushing = (async () => {
      try {
        const written = await this.store.ledger.chargeLease(lease.id, batch, close);
        this.storeFailedUntil = 0;
        lease.owed -= total;
        if (written) lease.granted -= total;
        else this.host.lost(lease.id, batch.length, total);
        if (close || !written) this.closed(lease);
      } catch (error) {
        // Kept, in order, for the next try.
        lease.charges.unshift(...batch);
        failed = true;
        this.storeFailedUntil = this.now() + FALLBACK_MS;
        this.host.failed(error);
      } finally {
        lease.flushing = undefined;
      }
    })();
    await lease.flushing;
    // After a failed write (the store down), the next try in a second, not every flushMs.
    if (lease.charges.length > 0 || (lease.state === 'retiring' && lease.held === 0))
      this.schedule(lease, failed ? Math.max(1_000, this.options.flushMs) : this.options.flushMs);
  }

  private closed(lease: Lease): void {
    lease.state = 'closed';
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    lease.timer = undefined;
    this.host.renewing.delete(lease.id);
    this.retiring.delete(lease);
    if (this.leases.get(lease.book) === lease) this.leases.delete(lease.book);
    lease.owed = 0;
    lease.charges.length = 0;
  }
}
