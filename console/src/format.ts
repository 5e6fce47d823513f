// Display formats, in the browser's locale.

const usdFormat = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});
const decimalMark =
  new Intl.NumberFormat().formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const compactFormat = new Intl.NumberFormat(undefined, {
  notation: 'compact',
  maximumFractionDigits: 1,
});
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const dayLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** Dollars with at least two decimals, and more only where they matter ($0.000012). */
export function usd(amount: number): string {
  return usdFormat.format(amount);
}

const wholeUsdFormat = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 0,
  maximumFractionDigits: 0,
});
const NANOS_PER_USD = 1_000_000_000n;

/**
 * Integer nano-USD as dollars, exactly (BigInt, never a float): at least two decimals, then every significant one
 * of the nine; a leading minus for a negative amount. 4876543212 → '$4.876543212', -1 → '-$0.000000001'.
 */
export function usdNanos(nanos: number): string {
  const value = BigInt(nanos);
  const magnitude = value < 0n ? -value : value;
  const fraction = (magnitude % NANOS_PER_USD)
    .toString()
    .padStart(9, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  const parts = wholeUsdFormat.formatToParts(magnitude / NANOS_PER_USD);
  const lastInteger = parts.findLastIndex((part) => part.type === 'integer');
  const text = parts
    .map((part, index) =>
      index === lastInteger ? `${part.value}${decimalMark}${fraction}` : part.value,
    )
    .join('');
  return value < 0n ? `-${text}` : text;
}

export function diem(amount: number): string {
  return `${numberFormat.format(amount)} DIEM`;
}

export function count(value: number): string {
  return numberFormat.format(value);
}

export function compact(value: number): string {
  return compactFormat.format(value);
}

export function when(iso: string | null | undefined, fallback = '—'): string {
  return iso === null || iso === undefined ? fallback : dateTime.format(new Date(iso));
}

export function day(isoDate: string): string {
  return dateOnly.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`));
}

/** '2026-03-04' → 'Mar 4' (chart axes). */
export function shortDay(isoDate: string): string {
  return dayLabel.format(new Date(`${isoDate}T00:00:00Z`));
}

/** '3 min ago', 'in 2 days': for timestamps near now. */
export function relative(iso: string | null): string {
  if (iso === null) return 'never';
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units)
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  return format.format(Math.round(seconds), 'second');
}

export function bytes(size: number | null): string {
  if (size === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${numberFormat.format(value)} ${units[unit]}`;
}
