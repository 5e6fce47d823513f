import { VeniceError } from '../../errors/venice-error.ts';

/** swagger: the text parser's `file` description, "Supported formats: PDF, DOCX, PPTX, XLSX, and plain text files." */
export const SUPPORTED_FORMATS =
  'Supported formats: PDF, DOCX, PPTX, XLSX, and plain text or code files.';

/**
 * A file the parser refuses: the swagger's one 400 for /augment/text-parser is DetailedError, so the reason
 * is given on `file` in zod's formatted shape, as a schema would give it.
 */
export function fileRefused(reason: string, cause?: unknown): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    ...(cause === undefined ? {} : { cause }),
    extra: {
      details: { _errors: [], file: { _errors: [reason] } },
      issues: [{ code: 'custom', path: ['file'], message: reason }],
    },
  });
}

/** Binary that is none of the supported formats (an image, an archive, a legacy .doc or .xls). */
export function unsupportedFile(): VeniceError {
  return fileRefused(`Unsupported file type. ${SUPPORTED_FORMATS}`);
}

/** A file of a supported format (by its signature or its name) that its parser cannot read: corrupt, truncated, encrypted. */
export function unreadableFile(format: string, cause?: unknown): VeniceError {
  return fileRefused(`The file could not be parsed as ${format}.`, cause);
}

/** docs/guides/tools/document-extraction.mdx, "When there is no text to get": a scan, an empty file. */
export function noTextContent(): VeniceError {
  return new VeniceError('NO_TEXT_CONTENT');
}
