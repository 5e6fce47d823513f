/** One file of a zip, as its central directory lists it (APPNOTE.TXT 4.3.12). */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; jszip (mammoth, exceljs) reads no other. */
  method: number;
  compressedSize: number;
  /** What the entry claims to unpack to; zip-limits.ts checks the claim while inflating. */
  uncompressedSize: number;
  localHeaderOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const MAX_COMMENT = 0xffff;

function findEndOfDirectory(bytes: Buffer): number | undefined {
  for (
    let offset = bytes.length - 22;
    offset >= Math.max(0, bytes.length - 22 - MAX_COMMENT);
    offset -= 1
  ) {
    if (bytes.readUInt32LE(offset) === END_OF_DIRECTORY) return offset;
  }
  return undefined;
}

/** Where the central directory starts and how many entries it lists, from the (zip64) end record. */
function directoryOf(bytes: Buffer, end: number): { offset: number; count: number } {
  const count = bytes.readUInt16LE(end + 10);
  const offset = bytes.readUInt32LE(end + 16);
  if (count !== 0xffff && offset !== 0xffffffff) return { offset, count };
  const locator = end - 20;
  if (locator < 0 || bytes.readUInt32LE(locator) !== ZIP64_LOCATOR)
    throw new RangeError('no zip64 locator');
  const record = Number(bytes.readBigUInt64LE(locator + 8));
  if (bytes.readUInt32LE(record) !== ZIP64_END_OF_DIRECTORY)
    throw new RangeError('no zip64 end record');
  return {
    count: Number(bytes.readBigUInt64LE(record + 32)),
    offset: Number(bytes.readBigUInt64LE(record + 48)),
  };
}

/** The sizes and offset a zip64 extra field holds, each only where the 32-bit field is 0xFFFFFFFF (APPNOTE 4.5.3). */
function withZip64(entry: ZipEntry, extra: Buffer): ZipEntry {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== ZIP64_EXTRA) continue;
    let field = at + 4;
    const next = (): number => {
      const value = Number(extra.readBigUInt64LE(field));
      field += 8;
      return value;
    };
    const uncompressedSize =
      entry.uncompressedSize === 0xffffffff ? next() : entry.uncompressedSize;
    const compressedSize = entry.compressedSize === 0xffffffff ? next() : entry.compressedSize;
    const localHeaderOffset =
      entry.localHeaderOffset === 0xffffffff ? next() : entry.localHeaderOffset;
    return { ...entry, uncompressedSize, compressedSize, localHeaderOffset };
  }
  return entry;
}

/**
 * A zip's entries from its central directory, without inflating anything: undefined when the bytes hold no
 * readable directory (truncated, or not a zip). Reading it costs a pass over the directory only.
 */
export function zipEntries(bytes: Buffer): ZipEntry[] | undefined {
  try {
    const end = findEndOfDirectory(bytes);
    if (end === undefined) return undefined;
    const directory = directoryOf(bytes, end);
    const entries: ZipEntry[] = [];
    let at = directory.offset;
    for (let index = 0; index < directory.count; index += 1) {
      if (bytes.readUInt32LE(at) !== DIRECTORY_HEADER) return undefined;
      const nameLength = bytes.readUInt16LE(at + 28);
      const extraLength = bytes.readUInt16LE(at + 30);
      const commentLength = bytes.readUInt16LE(at + 32);
      const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
      const entry = {
        name,
        method: bytes.readUInt16LE(at + 10),
        compressedSize: bytes.readUInt32LE(at + 20),
        uncompressedSize: bytes.readUInt32LE(at + 24),
        localHeaderOffset: bytes.readUInt32LE(at + 42),
      };
      entries.push(
        withZip64(entry, bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength)),
      );
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } catch (error) {
    // A length or offset past the end of the bytes: not a readable zip.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** An entry's compressed bytes, where its local header says they start (as jszip reads them); undefined past the end. */
export function entryData(bytes: Buffer, entry: ZipEntry): Buffer | undefined {
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.length || bytes.readUInt32LE(header) !== LOCAL_HEADER) return undefined;
  const start = header + 30 + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28);
  return start + entry.compressedSize > bytes.length
    ? undefined
    : bytes.subarray(start, start + entry.compressedSize);
}
