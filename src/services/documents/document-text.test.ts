import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import JSZip from 'jszip';
import {
  docxWithTable,
  pdfWithoutText,
  pdfWithText,
  pptxWithSlides,
  xlsxWithSheets,
} from '../../../test/fixtures/documents.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { extractText } from './document-text.ts';

const NO_TEXT = { error: 'No text content could be extracted from the file.' };
const UNSUPPORTED =
  'Unsupported file type. Supported formats: PDF, DOCX, PPTX, XLSX, and plain text or code files.';

/** Asserts that `text` holds each of `parts`, each after the one before. */
function assertInOrder(text: string, parts: string[]): void {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    assert.ok(
      at >= from,
      `${JSON.stringify(part)} not found after offset ${from} in ${JSON.stringify(text)}`,
    );
    from = at + part.length;
  }
}

/** Asserts that extracting `file` rejects with the VeniceError of `status` and `body`. */
async function assertRefused(
  file: Parameters<typeof extractText>[0],
  status: number,
  body: Record<string, unknown>,
): Promise<void> {
  await assert.rejects(extractText(file), (error: unknown) => {
    assert.ok(error instanceof VeniceError, String(error));
    assert.equal(error.status, status);
    assert.deepEqual(error.toBody(), body);
    return true;
  });
}

function refusedFile(reason: string): Record<string, unknown> {
  return {
    error: 'Invalid request parameters',
    details: { _errors: [], file: { _errors: [reason] } },
    issues: [{ code: 'custom', path: ['file'], message: reason }],
  };
}

describe('extractText', () => {
  it('PDF: both pages, lines in order, pages apart by a blank line', async () => {
    const bytes = await pdfWithText([
      ['Alpha page one', 'second line of page one'],
      ['Beta page two'],
    ]);
    const text = await extractText({ bytes, filename: 'report.pdf' });
    assert.equal(text, 'Alpha page one\nsecond line of page one\n\nBeta page two');
  });

  it('PDF is found by its signature, whatever its name and type', async () => {
    const bytes = await pdfWithText([['Signature first']]);
    assert.equal(
      await extractText({ bytes, filename: 'upload.bin', contentType: 'application/octet-stream' }),
      'Signature first',
    );
  });

  it('a PDF with no text (only a drawn rectangle, as a scan has only images) is 400 NO_TEXT_CONTENT', async () => {
    await assertRefused({ bytes: await pdfWithoutText(), filename: 'scan.pdf' }, 400, NO_TEXT);
  });

  it('a corrupt PDF is 400, naming the format', async () => {
    const bytes = (await pdfWithText([['Truncated']])).subarray(0, 200);
    await assertRefused(
      { bytes, filename: 'broken.pdf' },
      400,
      refusedFile('The file could not be parsed as PDF.'),
    );
  });

  it('DOCX: heading, runs joined, table rows as tab-separated lines, in order', async () => {
    const text = await extractText({ bytes: await docxWithTable(), filename: 'report.docx' });
    assert.equal(
      text,
      'Quarterly report\nRevenue grew strongly in the north.\n\nRegion\tSales\nNorth\t1200\n\nClosing remarks.',
    );
  });

  it('PPTX: every slide in order, lines kept', async () => {
    const bytes = await pptxWithSlides([
      ['First slide title', 'Point one & more'],
      ['Second slide <end>'],
    ]);
    const text = await extractText({ bytes, filename: 'deck.pptx' });
    assert.equal(text, 'First slide title\nPoint one & more\n\nSecond slide <end>');
  });

  it('PPTX follows the presentation order, not the part numbers', async () => {
    const zip = await JSZip.loadAsync(await pptxWithSlides([['Numbered one'], ['Numbered two']]));
    const presentation = await zip.file('ppt/presentation.xml')!.async('string');
    const ids = [...presentation.matchAll(/<p:sldId [^>]*\/>/g)].map(([element]) => element);
    assert.equal(ids.length, 2);
    zip.file(
      'ppt/presentation.xml',
      presentation.replace(ids.join(''), [...ids].reverse().join('')),
    );
    const text = await extractText({ bytes: await zip.generateAsync({ type: 'nodebuffer' }) });
    assertInOrder(text, ['Numbered two', 'Numbered one']);
  });

  it('XLSX: every sheet under its name, rows as tab-separated lines, numbers and strings', async () => {
    const bytes = await xlsxWithSheets({
      Sales: [
        ['Region', 'Units', 'Price'],
        ['North', 12, 3.5],
        ['South', 7, 4],
      ],
      Notes: [['Remember the ünïcode'], [42]],
    });
    const text = await extractText({ bytes, filename: 'book.xlsx' });
    assert.equal(
      text,
      '# Sales\nRegion\tUnits\tPrice\nNorth\t12\t3.5\nSouth\t7\t4\n\n# Notes\nRemember the ünïcode\n42',
    );
  });

  it('an OOXML package is told apart by its parts, not its name', async () => {
    const text = await extractText({
      bytes: await xlsxWithSheets({ Only: [['cell']] }),
      filename: 'misnamed.docx',
    });
    assert.equal(text, '# Only\ncell');
  });

  it('a workbook with only empty sheets is 400 NO_TEXT_CONTENT', async () => {
    await assertRefused(
      { bytes: await xlsxWithSheets({ Empty: [] }), filename: 'empty.xlsx' },
      400,
      NO_TEXT,
    );
  });

  it('a code file comes back exactly as it is', async () => {
    const source =
      "import { x } from './x.ts';\n\n\nexport function double(value: number): number {\n  return value * 2; // ×2\n}\n";
    assert.equal(
      await extractText({
        bytes: Buffer.from(source),
        filename: 'double.ts',
        contentType: 'video/mp2t',
      }),
      source,
    );
  });

  it('UTF-8 text with non-ASCII characters, a byte-order mark dropped', async () => {
    const text = 'Grüße aus Köln — 東京 🚀\r\nnaïve café\n';
    assert.equal(
      await extractText({
        bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
        filename: 'notes.txt',
      }),
      text,
    );
    assert.equal(await extractText({ bytes: Buffer.from(text), filename: 'no-extension' }), text);
  });

  it('UTF-16 with a byte-order mark, and Windows-1252 in a file named as text', async () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Ünïcode sixteen', 'utf16le'),
    ]);
    assert.equal(await extractText({ bytes: utf16, filename: 'wide.txt' }), 'Ünïcode sixteen');
    const latin = Buffer.from('caf\xe9 cr\xe8me', 'latin1');
    assert.equal(await extractText({ bytes: latin, filename: 'legacy.csv' }), 'café crème');
    await assertRefused({ bytes: latin, filename: 'legacy.bin' }, 400, refusedFile(UNSUPPORTED));
  });

  it('random bytes are 400, unsupported; named as a PDF they are an unreadable PDF', async () => {
    const bytes = randomBytes(4096);
    await assertRefused(
      { bytes, filename: 'noise.bin', contentType: 'application/octet-stream' },
      400,
      refusedFile(UNSUPPORTED),
    );
    await assertRefused(
      { bytes, filename: 'noise.pdf' },
      400,
      refusedFile('The file could not be parsed as PDF.'),
    );
    await assertRefused(
      {
        bytes,
        contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      },
      400,
      refusedFile('The file could not be parsed as DOCX.'),
    );
  });

  it('a zip that is no Office document and a legacy binary .doc are unsupported', async () => {
    const zip = new JSZip().file('readme.txt', 'zipped').generateAsync({ type: 'nodebuffer' });
    await assertRefused(
      { bytes: await zip, filename: 'archive.zip' },
      400,
      refusedFile(UNSUPPORTED),
    );
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), randomBytes(1024)]);
    await assertRefused({ bytes: ole, filename: 'old.doc' }, 400, refusedFile(UNSUPPORTED));
  });

  it('an empty or blank file is 400 NO_TEXT_CONTENT', async () => {
    await assertRefused({ bytes: Buffer.alloc(0), filename: 'empty.txt' }, 400, NO_TEXT);
    await assertRefused({ bytes: Buffer.from(' \n\t\n'), filename: 'blank.md' }, 400, NO_TEXT);
  });
});
