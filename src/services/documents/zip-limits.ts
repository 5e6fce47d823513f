import { inflateRawSync } from 'node:zlib';
import type { ArchiveLimits } from '../../config/parser-config.ts';
import { fileRefused, unreadableFile } from './document-errors.ts';
import { entryData, zipEntries } from './zip-entries.ts';

const MIB = 1024 * 1024;
/** Below this an entry's ratio is not judged: small, very regular parts (styles, empty sheets) compress far. */
const RATIO_FLOOR = MIB;

function megabytes(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MB`;
}

/**
 * Refuses an OOXML package (DOCX, XLSX, PPTX) that would unpack past `limits` (400 naming the limit), before
 * mammoth, exceljs or jszip inflate anything: first from the central directory's claims (entry count, total size,
 * each entry's compression ratio), then by inflating each entry with its claimed size as the ceiling, so that an
 * entry that lies about its size is refused too. The parsers then inflate only what was checked.
 */
export function checkArchive(bytes: Buffer, format: string, limits: ArchiveLimits): void {
  const entries = zipEntries(bytes);
  if (entries === undefined) throw unreadableFile(format);
  if (entries.length > limits.maxEntries)
    throw fileRefused(`The ${format} file holds more than ${limits.maxEntries} parts.`);
  const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (total > limits.maxUnpackedBytes)
    throw fileRefused(
      `The ${format} file unpacks to more than ${megabytes(limits.maxUnpackedBytes)}.`,
    );
  for (const entry of entries) {
    if (
      entry.uncompressedSize > RATIO_FLOOR &&
      entry.uncompressedSize > entry.compressedSize * limits.maxCompressionRatio
    ) {
      throw fileRefused(
        `The ${format} file's part ${entry.name} is compressed more than ${limits.maxCompressionRatio}:1.`,
      );
    }
  }
  for (const entry of entries) {
    if (entry.method !== 8 && entry.method !== 0) continue; // jszip refuses these itself (unreadable)
    const data = entryData(bytes, entry);
    if (data === undefined) throw unreadableFile(format);
    let size = data.length;
    if (entry.method === 8) {
      try {
        size = inflateRawSync(data, {
          maxOutputLength: Math.max(1, entry.uncompressedSize),
        }).length;
      } catch (error) {
        throw unreadableFile(format, error);
      }
    }
    // More than claimed is cut off above; less, or stored bytes of another size, is a directory that lies.
    if (size !== entry.uncompressedSize) throw unreadableFile(format);
  }
}
