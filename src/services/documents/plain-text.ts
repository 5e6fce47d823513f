/** Control characters text files do not hold (tab, line feed, vertical tab, form feed, carriage return and escape aside). */
const CONTROL = /[\x00-\x08\x0E-\x1A\x1C-\x1F\x7F]/g;

/** Above this share of control characters, decoded bytes are binary, not text. */
const MAX_CONTROL_SHARE = 0.01;

function decode(bytes: Buffer, lenient: boolean): string | undefined {
  // A byte-order mark names the encoding (TextDecoder drops it); UTF-16 without one reads as binary (NULs).
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: a file named as text is taken as Windows-1252 (Latin-1's superset), the usual legacy encoding.
    return lenient ? new TextDecoder('windows-1252').decode(bytes) : undefined;
  }
}

/**
 * The text of a text or code file: UTF-8 (or UTF-16 with a byte-order mark), or with `lenient` (the file is
 * named as text) Windows-1252 when it is not UTF-8. Undefined for binary: NUL bytes, or more than 1 % control
 * characters; the few a text file may hold are dropped.
 */
export function decodeText(bytes: Buffer, options: { lenient: boolean }): string | undefined {
  const text = decode(bytes, options.lenient);
  if (text === undefined) return undefined;
  const controls = text.match(CONTROL)?.length ?? 0;
  if (controls > text.length * MAX_CONTROL_SHARE) return undefined;
  return controls === 0 ? text : text.replace(CONTROL, '');
}
