import type { UsageEntry } from '../../services/usage/usage-entries.ts';

// The CSV export of /billing/usage-history: one row per entry, the JSON fields with inferenceDetails flattened.
const COLUMNS = [
  'timestamp',
  'sku',
  'pricePerUnitUsd',
  'units',
  'amount',
  'currency',
  'notes',
  'requestId',
  'inferenceExecutionTime',
  'promptTokens',
  'completionTokens',
] as const;

/** swagger: "Include text/csv in the Accept header" (a media range with q=0 refuses it). */
export function wantsCsv(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'text/csv' && !parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter));
  });
}

/** swagger: `billing-usage-history-YYYYMMDDTHHMMSSmmmZ.csv`, stamped with the export time in UTC. */
export function csvFileName(at: Date): string {
  return `billing-usage-history-${at.toISOString().replace(/[-:.]/g, '')}.csv`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function field(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(entries: readonly UsageEntry[]): string {
  const rows = entries.map((entry) => {
    const details = entry.inferenceDetails;
    const values: Record<(typeof COLUMNS)[number], string | number | null> = {
      timestamp: entry.timestamp,
      sku: entry.sku,
      pricePerUnitUsd: entry.pricePerUnitUsd,
      units: entry.units,
      amount: entry.amount,
      currency: entry.currency,
      notes: entry.notes,
      requestId: details?.requestId ?? null,
      inferenceExecutionTime: details?.inferenceExecutionTime ?? null,
      promptTokens: details?.promptTokens ?? null,
      completionTokens: details?.completionTokens ?? null,
    };
    return COLUMNS.map((column) => field(values[column])).join(',');
  });
  return [COLUMNS.join(','), ...rows].map((row) => `${row}\r\n`).join('');
}
