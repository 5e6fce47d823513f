import { noTextContent } from './document-errors.ts';
import { documentFormat, type BinaryFormat, type DocumentFile } from './document-format.ts';
import { docxText } from './docx-text.ts';
import { pdfText } from './pdf-text.ts';
import { pptxText } from './pptx-text.ts';
import { xlsxText } from './xlsx-text.ts';

export type { DocumentFile } from './document-format.ts';

const EXTRACTORS: Record<BinaryFormat, (bytes: Buffer) => Promise<string>> = { pdf: pdfText, docx: docxText, pptx: pptxText, xlsx: xlsxText };

/** A document's text without the layout's leftovers: trailing spaces, runs of blank lines, blank ends. */
function tidy(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t\u00a0]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * The text of an uploaded document (swagger: /augment/text-parser): PDF, DOCX, PPTX, XLSX (every sheet),
 * or a text or code file, which is returned as it is. The format comes from the bytes first, then the
 * name and Content-Type (document-format.ts). Throws VeniceError 400: NO_TEXT_CONTENT when there is no
 * text (a scan, an empty file), INVALID_REQUEST with `details.file` for unsupported or unreadable files.
 * Runs in memory; nothing is kept.
 */
export async function extractText(file: DocumentFile): Promise<string> {
  const detected = await documentFormat(file);
  const text = detected.format === 'text' ? detected.text : tidy(await EXTRACTORS[detected.format](file.bytes));
  if (text.trim() === '') throw noTextContent();
  return text;
}
