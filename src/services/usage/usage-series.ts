import type { Store } from '../../storage/store.ts';
import { fromNanos } from '../billing/money.ts';
import type { AnalyticsWindow } from './analytics-window.ts';
import { windowRecords } from './window-records.ts';

/** One day of one key on one model: what the console charts by key, model or type. */
export interface UsageSeriesRow {
  date: string;
  /** null: usage without a key (none is written today; kept apart rather than dropped). */
  apiKeyId: string | null;
  modelId: string;
  /** The usage record's type: text, embedding, image, tts, video, music, augment, … */
  modelType: string;
  requests: number;
  /** Requests whose record says the engine failed or the lease ran out (charged nothing). */
  failed: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  usd: number;
  diem: number;
}

export interface UsageSeriesReport {
  lookback: string;
  /** Every day of the window, oldest first, so charts show the days without usage too. */
  dates: string[];
  /** Descriptions of the keys that appear in `data` (revoked ones included). */
  keys: { id: string; description: string; apiKeyType: string; last6: string; revoked: boolean }[];
  data: UsageSeriesRow[];
}

const SETTLED = new Set(['completed', 'client_disconnected']);

/**
 * Rialto's own (not in the Venice spec; /billing/usage-analytics has cost by day but not tokens, requests or
 * types by day): every usage record of an account in the window, summed per (day, key, model). Failed and
 * free requests count too. Aggregates in memory from store pages; not cached.
 */
export class UsageSeries {
  constructor(private readonly store: Store) {}

  async report(accountId: string, window: AnalyticsWindow): Promise<UsageSeriesReport> {
    const rows = new Map<string, UsageSeriesRow>();
    for await (const record of windowRecords(this.store, accountId, window)) {
      const date = record.createdAt.slice(0, 10);
      const group = `${date}\u0000${record.keyId ?? ''}\u0000${record.modelId}`;
      let row = rows.get(group);
      if (row === undefined) {
        rows.set(
          group,
          (row = {
            date,
            apiKeyId: record.keyId,
            modelId: record.modelId,
            modelType: record.modelType,
            requests: 0,
            failed: 0,
            promptTokens: 0,
            completionTokens: 0,
            cachedTokens: 0,
            usd: 0,
            diem: 0,
          }),
        );
      }
      row.requests += 1;
      if (!SETTLED.has(record.status)) row.failed += 1;
      row.promptTokens += record.promptTokens;
      row.completionTokens += record.completionTokens;
      row.cachedTokens += record.cachedTokens;
      // Summed in nanos, converted once below: no floating-point drift over many records.
      if (record.currency === 'USD') row.usd += record.amount;
      else row.diem += record.amount;
    }
    const data = [...rows.values()].map((row) => ({
      ...row,
      usd: fromNanos(row.usd),
      diem: fromNanos(row.diem),
    }));
    const keyIds = [
      ...new Set(data.flatMap((row) => (row.apiKeyId === null ? [] : [row.apiKeyId]))),
    ];
    const keys = await Promise.all(
      keyIds.map(async (id) => {
        const key = await this.store.apiKeys.findById(id);
        return {
          id,
          description: key?.description ?? id,
          apiKeyType: key?.apiKeyType ?? 'INFERENCE',
          last6: key?.last6 ?? '',
          revoked: (key?.revokedAt ?? null) !== null,
        };
      }),
    );
    return { lookback: window.lookback, dates: window.dates, keys, data };
  }
}
