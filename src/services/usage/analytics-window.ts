/** The days an analytics report covers: [from, to) on UTC day boundaries, and its `lookback` label. */
export interface AnalyticsWindow {
  /** Inclusive, ISO instant at 00:00 UTC. */
  from: string;
  /** Exclusive, ISO instant at 00:00 UTC of the day after the last. */
  to: string;
  /** swagger: "Nd" or "startDate:endDate". */
  lookback: string;
  /** Every day of the window, YYYY-MM-DD, oldest first. */
  dates: string[];
}

const DAY_MS = 86_400_000;

/**
 * INVENTORY §6.4. `Nd` means the last N UTC calendar days, today included (so byDate has N rows);
 * startDate and endDate (validated by the schema, both or neither) are inclusive days and take precedence.
 */
export function analyticsWindow(
  query: {
    lookback?: string | undefined;
    startDate?: string | undefined;
    endDate?: string | undefined;
  },
  now: Date,
): AnalyticsWindow {
  let first: number;
  let last: number;
  let lookback: string;
  if (query.startDate !== undefined && query.endDate !== undefined) {
    first = Date.parse(`${query.startDate}T00:00:00Z`);
    last = Date.parse(`${query.endDate}T00:00:00Z`);
    lookback = `${query.startDate}:${query.endDate}`;
  } else {
    lookback = query.lookback ?? '7d';
    last = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    first = last - (Number(lookback.slice(0, -1)) - 1) * DAY_MS;
  }
  const dates: string[] = [];
  for (let day = first; day <= last; day += DAY_MS)
    dates.push(new Date(day).toISOString().slice(0, 10));
  return {
    from: new Date(first).toISOString(),
    to: new Date(last + DAY_MS).toISOString(),
    lookback,
    dates,
  };
}
