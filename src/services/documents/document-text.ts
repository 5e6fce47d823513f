import { parserConfig, type ArchiveLimits } from '../../config/parser-config.ts';
import { noTextContent } from './document-errors.ts';
import { documentFormat, type BinaryFormat, type DocumentFile } from './document-format.ts';
import { docxText } from './docx-text.ts';
import { pdfText } from './pdf-text.ts';
import { pptxText } from './pptx-text.ts';
import { xlsxText } from './xlsx-text.ts';
import { checkArchive } from './zip-limits.ts';

export type { DocumentFile } from './document-format.ts';

const DEFAULT_ARCHIVE_LIMITS = parserConfig.parse(undefined).archive;

const EXTRACTORS: Record<BinaryFormat, (bytes: Buffer) => Promise<string>> = {
  pdf: pdfText,
  docx: docxText,
  pptx: pptxText,
  xlsx: xlsxText,
};

/** A document's text without the layout's leftovers: trailing spaces, runs of blank lines, blank ends. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The text of an uploaded document (swagger: /augment/text-parser): PDF, DOCX, PPTX, XLSX (every sheet),
 * or a text or code file, which is returned as it is. The format comes from the bytes first, then the
 * name and Content-Type (document-format.ts). Throws VeniceError 400: NO_TEXT_CONTENT when there is no
 * text (a scan, an empty file), INVALID_REQUEST with `details.file` for unsupported or unreadable files.
 * A DOCX, PPTX or XLSX that would unpack past `archive` is refused (400) before it is inflated (zip-limits.ts).
 * Runs in memory, synchronously for long stretches: the server runs it on a parser process (parsers/parser-pool.ts).
 */
export async function extractText(
  file: DocumentFile,
  archive: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<string> {
  const detected = await documentFormat(file);
  if (detected.format !== 'text' && detected.format !== 'pdf')
    checkArchive(file.bytes, detected.format.toUpperCase(), archive);
  const text =
    detected.format === 'text'
      ? detected.text
      : tidy(await EXTRACTORS[detected.format](file.bytes));
  if (text.trim() === '') throw noTextContent();
  return text;
}
