import type { TextPricing } from '../../config.ts';
import type { Currency, Nanos, Store } from '../../storage/store.ts';
import { fromNanos } from '../billing/money.ts';
import type { AnalyticsWindow } from './analytics-window.ts';
import { splitUsage, type UsagePart } from './usage-split.ts';
import { windowRecords } from './window-records.ts';

/** What the report needs to know of a configured model; undefined for a model no longer configured. */
export type ModelInfo = (modelId: string) => { name: string; pricing: TextPricing } | undefined;

type Breakdown = { type: string; usd: number; diem: number; units: number };
type ModelRow = {
  modelName: string;
  unitType: string;
  modelType: string | null;
  totalUsd: number;
  totalDiem: number;
  totalUnits: number;
  breakdown?: Breakdown[];
};
type KeyRow = {
  apiKeyId: string | null;
  description: string;
  totalUsd: number;
  totalDiem: number;
  totalUnits: number;
};

/** swagger: getBillingUsageAnalytics 200. */
export interface UsageAnalyticsReport {
  lookback: string;
  byDate: { date: string; USD: number; DIEM: number }[];
  byModel: ModelRow[];
  byModelDaily: Record<string, number>[];
  topModels: string[];
  byKey: KeyRow[];
  byKeyDaily: Record<string, number>[];
  topKeyNames: string[];
}

class Tally {
  readonly nanos: Record<Currency, Nanos> = { USD: 0, DIEM: 0 };
  units = 0;
  readonly daily = new Map<string, Nanos>();
  get spend(): Nanos {
    return this.nanos.USD + this.nanos.DIEM;
  }
  add(currency: Currency, amount: Nanos, units: number, date: string): void {
    this.nanos[currency] += amount;
    this.units += units;
    this.daily.set(date, (this.daily.get(date) ?? 0) + amount);
  }
}

const PART_LABEL: Record<UsagePart['kind'], string> = {
  input: 'Input',
  'cache-read': 'Cache Read',
  output: 'Output',
  unit: 'Requests',
};
const MODEL_TYPE: Record<string, string> = { text: 'LLM', embedding: 'EMBEDDING' };
const TOP = 8;

/** Spend first (highest), then name: a stable order for rows and chart legends. */
function ranked<T extends { name: string; tally: Tally }>(groups: Iterable<T>): T[] {
  return [...groups].sort((a, b) => b.tally.spend - a.tally.spend || a.name.localeCompare(b.name));
}

/** Chart series for the top groups: one row per day, `date` in epoch ms; names shared by several groups get their id. */
function daily(
  window: AnalyticsWindow,
  top: { id: string; name: string; tally: Tally }[],
): { names: string[]; rows: Record<string, number>[] } {
  const names = top.map((group) =>
    top.filter((other) => other.name === group.name).length > 1
      ? `${group.name} (${group.id})`
      : group.name,
  );
  const rows = window.dates.map((date) => {
    const row: Record<string, number> = { date: Date.parse(`${date}T00:00:00Z`) };
    top.forEach((group, index) => {
      row[names[index] ?? group.name] = fromNanos(group.tally.daily.get(date) ?? 0);
    });
    return row;
  });
  return { names, rows };
}

/**
 * GET /billing/usage-analytics (INVENTORY §6.4): the account's usage records in the window, aggregated by day,
 * model (with the input / cache-read / output breakdown of usage-split.ts) and key. Daily chart values are the
 * spend in both currencies together (Venice prices them alike). Records that neither charged nor used tokens
 * (released reservations) are left out. Aggregates in memory from store pages; not cached.
 */
export class UsageAnalytics {
  constructor(
    private readonly store: Store,
    private readonly modelInfo: ModelInfo,
  ) {}

  async report(accountId: string, window: AnalyticsWindow): Promise<UsageAnalyticsReport> {
    const byDate = new Map(window.dates.map((date) => [date, { USD: 0, DIEM: 0 }]));
    const models = new Map<
      string,
      { id: string; name: string; type: string; tally: Tally; parts: Map<UsagePart['kind'], Tally> }
    >();
    const keys = new Map<
      string | null,
      { id: string; name: string; keyId: string | null; tally: Tally }
    >();
    for await (const record of windowRecords(this.store, accountId, window)) {
      if (record.amount === 0 && record.promptTokens + record.completionTokens === 0) continue;
      const date = record.createdAt.slice(0, 10);
      const day = byDate.get(date);
      if (day !== undefined) day[record.currency] += record.amount;
      const info = this.modelInfo(record.modelId);
      const parts = splitUsage(record, info?.pricing);
      const units = parts.reduce((sum, part) => sum + part.quantity, 0);
      let model = models.get(record.modelId);
      if (model === undefined)
        models.set(
          record.modelId,
          (model = {
            id: record.modelId,
            name: info?.name ?? record.modelId,
            type: record.modelType,
            tally: new Tally(),
            parts: new Map(),
          }),
        );
      model.tally.add(record.currency, record.amount, units, date);
      for (const part of parts) {
        let tally = model.parts.get(part.kind);
        if (tally === undefined) model.parts.set(part.kind, (tally = new Tally()));
        tally.add(record.currency, part.amount, part.quantity, date);
      }
      let key = keys.get(record.keyId);
      if (key === undefined)
        keys.set(
          record.keyId,
          (key = {
            id: record.keyId ?? 'web',
            name: await this.describeKey(record.keyId),
            keyId: record.keyId,
            tally: new Tally(),
          }),
        );
      key.tally.add(record.currency, record.amount, units, date);
    }
    const rankedModels = ranked(models.values());
    const rankedKeys = ranked(keys.values());
    const modelCharts = daily(window, rankedModels.slice(0, TOP));
    const keyCharts = daily(window, rankedKeys.slice(0, TOP));
    return {
      lookback: window.lookback,
      // Newest first, as the swagger example lists them.
      byDate: [...byDate].reverse().map(([date, totals]) => ({
        date,
        USD: fromNanos(totals.USD),
        DIEM: fromNanos(totals.DIEM),
      })),
      byModel: rankedModels.map((model) => {
        const breakdown = [...model.parts]
          .filter(([, tally]) => tally.units > 0)
          .map(([kind, tally]) => ({
            type: PART_LABEL[kind],
            usd: fromNanos(tally.nanos.USD),
            diem: fromNanos(tally.nanos.DIEM),
            units: tally.units,
          }));
        return {
          modelName: model.name,
          unitType: model.type === 'text' || model.type === 'embedding' ? 'tokens' : 'requests',
          modelType: MODEL_TYPE[model.type] ?? null,
          totalUsd: fromNanos(model.tally.nanos.USD),
          totalDiem: fromNanos(model.tally.nanos.DIEM),
          totalUnits: model.tally.units,
          // swagger: "only present if multiple types".
          ...(breakdown.length > 1
            ? {
                breakdown: breakdown.sort(
                  (a, b) => b.usd + b.diem - (a.usd + a.diem) || a.type.localeCompare(b.type),
                ),
              }
            : {}),
        };
      }),
      byModelDaily: modelCharts.rows,
      topModels: modelCharts.names,
      byKey: rankedKeys.map((key) => ({
        apiKeyId: key.keyId,
        description: key.name,
        totalUsd: fromNanos(key.tally.nanos.USD),
        totalDiem: fromNanos(key.tally.nanos.DIEM),
        totalUnits: key.tally.units,
      })),
      byKeyDaily: keyCharts.rows,
      topKeyNames: keyCharts.names,
    };
  }

  /** swagger: the key's description, "Web App" for usage without a key; a deleted key keeps its description. */
  private async describeKey(keyId: string | null): Promise<string> {
    if (keyId === null) return 'Web App';
    return (await this.store.apiKeys.findById(keyId))?.description ?? keyId;
  }
}
