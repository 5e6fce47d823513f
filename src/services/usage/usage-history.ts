import type { TextPricing } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Store } from '../../storage/store.ts';
import type { CursorCodec, HistoryWalk, WalkPosition } from './history-cursor.ts';
import { entriesOf, type UsageEntry } from './usage-entries.ts';

/** One page of the walk; nextCursor is null on the last page. */
export interface HistoryPage {
  entries: UsageEntry[];
  nextCursor: string | null;
}

/** The filters of a first request (already validated: end > start, pageSize 10..1000). */
export interface HistoryFilters {
  currency?: 'USD' | 'DIEM' | 'BUNDLED_CREDITS' | undefined;
  startTimestamp?: string | undefined;
  endTimestamp?: string | undefined;
  pageSize?: number | undefined;
}

const DEFAULT_PAGE_SIZE = 1000;

/**
 * GET /billing/usage-history (INVENTORY §6.5): the account's usage ledger as a cursor walk in ascending
 * (timestamp, record id) order. The walk's upper bound is fixed at its first request (its endTimestamp, else
 * that moment), so pages do not shift while new usage is recorded. Pages hold exactly pageSize entries except
 * the last; a record whose entries straddle a page boundary continues on the next page.
 */
export class UsageHistory {
  constructor(
    private readonly store: Store,
    private readonly pricingOf: (modelId: string) => TextPricing | undefined,
    private readonly codec: CursorCodec,
    private readonly now: () => Date = () => new Date(),
  ) {}

  first(accountId: string, filters: HistoryFilters): Promise<HistoryPage> {
    const walk: HistoryWalk = {
      end: filters.endTimestamp ?? this.now().toISOString(),
      pageSize: filters.pageSize ?? DEFAULT_PAGE_SIZE,
      ...(filters.currency === undefined ? {} : { currency: filters.currency }),
      ...(filters.startTimestamp === undefined ? {} : { start: filters.startTimestamp }),
    };
    return this.page(accountId, walk, {});
  }

  /** The page after `cursor`; 400 INVALID_REQUEST when the cursor was altered or issued to another account. */
  next(accountId: string, cursor: string): Promise<HistoryPage> {
    const decoded = this.codec.decode(accountId, cursor);
    if (decoded === undefined) {
      const message =
        'Invalid cursor: it was altered, issued to another account or by another server process. Restart the walk from the first page.';
      throw new VeniceError('INVALID_REQUEST', {
        message,
        extra: { details: { _errors: [], cursor: { _errors: [message] } } },
      });
    }
    return this.page(accountId, decoded.walk, decoded.position);
  }

  private async page(
    accountId: string,
    walk: HistoryWalk,
    position: WalkPosition,
  ): Promise<HistoryPage> {
    const entries: UsageEntry[] = [];
    // Rialto has no bundled credits: that ledger is always empty.
    if (walk.currency === 'BUNDLED_CREDITS') return { entries, nextCursor: null };
    let { after, partial } = position;
    const batch = walk.pageSize + 1;
    for (;;) {
      const records = await this.store.usage.list({
        accountId,
        to: walk.end,
        limit: batch,
        ...(walk.currency === undefined ? {} : { currency: walk.currency }),
        ...(walk.start === undefined ? {} : { from: walk.start }),
        ...(after === undefined ? {} : { after }),
      });
      for (const record of records) {
        const skip = partial?.id === record.id ? partial.emitted : 0;
        partial = undefined;
        const recordEntries = entriesOf(record, this.pricingOf(record.modelId));
        for (const [offset, entry] of recordEntries.slice(skip).entries()) {
          if (entries.length === walk.pageSize) {
            const emitted = skip + offset;
            const next: WalkPosition = {
              ...(after === undefined ? {} : { after }),
              ...(emitted === 0 ? {} : { partial: { id: record.id, emitted } }),
            };
            return { entries, nextCursor: this.codec.encode(accountId, walk, next) };
          }
          entries.push(entry);
        }
        after = { createdAt: record.createdAt, id: record.id };
      }
      if (records.length < batch) return { entries, nextCursor: null };
    }
  }
}
