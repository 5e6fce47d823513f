import type { UsageRow, UsageSeries } from '../api-types.ts';
import { OTHER_COLOR, PALETTE, type Series } from '../components/bar-chart.tsx';

export type GroupBy = 'model' | 'key' | 'type';
export type Metric = 'cost' | 'tokens' | 'requests';

const TYPE_NAMES: Record<string, string> = {
  text: 'Text',
  embedding: 'Embeddings',
  image: 'Images',
  tts: 'Speech',
  asr: 'Transcription',
  upscale: 'Upscale',
  inpaint: 'Image edit',
  video: 'Video',
  music: 'Music',
  augment: 'Search & scrape',
};

export interface GroupTotal {
  id: string;
  name: string;
  requests: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

export function metricOf(
  row: {
    usd: number;
    diem: number;
    promptTokens: number;
    completionTokens: number;
    requests: number;
  },
  metric: Metric,
): number {
  if (metric === 'cost') return row.usd + row.diem;
  return metric === 'tokens' ? row.promptTokens + row.completionTokens : row.requests;
}

function groupOf(
  row: UsageRow,
  groupBy: GroupBy,
  keyNames: Map<string, string>,
): { id: string; name: string } {
  if (groupBy === 'model') return { id: row.modelId, name: row.modelId };
  if (groupBy === 'type')
    return { id: row.modelType, name: TYPE_NAMES[row.modelType] ?? row.modelType };
  const id = row.apiKeyId ?? 'none';
  return { id, name: keyNames.get(id) ?? (row.apiKeyId === null ? 'No key' : id) };
}

/** Totals per group, largest first by the chosen metric, then the chart series (the top seven, the rest as Other). */
export function groupUsage(
  report: UsageSeries,
  groupBy: GroupBy,
  metric: Metric,
): { totals: GroupTotal[]; series: Series[] } {
  const keyNames = new Map(
    report.keys.map((key) => [
      key.id,
      `${key.description} (…${key.last6})${key.revoked ? ' — revoked' : ''}`,
    ]),
  );
  const totals = new Map<string, GroupTotal & { daily: Map<string, number> }>();
  for (const row of report.data) {
    const { id, name } = groupOf(row, groupBy, keyNames);
    let total = totals.get(id);
    if (total === undefined)
      totals.set(
        id,
        (total = {
          id,
          name,
          requests: 0,
          failed: 0,
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          daily: new Map(),
        }),
      );
    total.requests += row.requests;
    total.failed += row.failed;
    total.promptTokens += row.promptTokens;
    total.completionTokens += row.completionTokens;
    total.cost += row.usd + row.diem;
    total.daily.set(row.date, (total.daily.get(row.date) ?? 0) + metricOf(row, metric));
  }
  const rankOf = (total: GroupTotal): number =>
    metricOf({ ...total, usd: total.cost, diem: 0 }, metric);
  const ranked = [...totals.values()].sort(
    (a, b) => rankOf(b) - rankOf(a) || a.name.localeCompare(b.name),
  );
  // Groups with nothing to draw in this metric (tokens of an image model) stay in the table but out of the chart.
  const drawn = ranked.filter((group) => rankOf(group) > 0);
  const top = drawn.slice(0, 7);
  const rest = drawn.slice(7);
  const series: Series[] = top.map((group, index) => ({
    name: group.name,
    color: PALETTE[index % PALETTE.length] ?? OTHER_COLOR,
    values: report.dates.map((date) => group.daily.get(date) ?? 0),
  }));
  if (rest.length > 0)
    series.push({
      name: `Other (${rest.length})`,
      color: OTHER_COLOR,
      values: report.dates.map((date) =>
        rest.reduce((sum, group) => sum + (group.daily.get(date) ?? 0), 0),
      ),
    });
  return { totals: ranked.map(({ daily: _daily, ...total }) => total), series };
}
