// Parses a Content-Range response header ("bytes 100-199/1000", "bytes 100-199/*", "bytes */1000").
// Returns null for anything else, so callers treat a malformed header like a missing one.

export interface ContentRange {
  // null for the unsatisfied form "bytes */N" that comes with a 416.
  start: number | null;
  end: number | null;
  // null when the server does not know the full size ("/*").
  total: number | null;
}

export function parseContentRange(value: string | null): ContentRange | null {
  if (value === null) return null;
  const match = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(value);
  if (match === null) return null;
  const [, start, end, total] = match;
  return {
    start: start === undefined ? null : Number(start),
    end: end === undefined ? null : Number(end),
    total: total === undefined || total === '*' ? null : Number(total),
  };
}

export function parseContentLength(value: string | null): number | null {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : null;
}
