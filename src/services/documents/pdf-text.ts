import { unreadableFile } from './document-errors.ts';
import { loadPdfJs, PDFJS_DATA } from './pdf-js.ts';

/**
 * The text of every page, in order: a line per text line (pdfjs marks line ends), pages apart by a blank
 * line. A scan has none (images only). Corrupt and password-protected files are 400.
 */
export async function pdfText(bytes: Buffer): Promise<string> {
  const { getDocument } = await loadPdfJs();
  // pdfjs may take ownership of the array it is given: give it a copy. No eval, no fonts loaded for display.
  const task = getDocument({
    data: new Uint8Array(bytes),
    ...PDFJS_DATA,
    verbosity: 0,
    isEvalSupported: false,
    disableFontFace: true,
    stopAtErrors: false,
  });
  try {
    const document = await task.promise.catch((error: unknown) => {
      const locked = error instanceof Error && error.name === 'PasswordException';
      throw unreadableFile(locked ? 'PDF: it is password-protected' : 'PDF', error);
    });
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number += 1) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(
        content.items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
          .join(''),
      );
      page.cleanup();
    }
    return pages.join('\n\n');
  } finally {
    await task.destroy();
  }
}
