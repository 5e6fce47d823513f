import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { docxBomb, zipOf } from '../../../test/fixtures/document-bombs.ts';
import { docxWithTable } from '../../../test/fixtures/documents.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { checkArchive } from './zip-limits.ts';

const LIMITS = { maxUnpackedBytes: 8 * 1024 * 1024, maxEntries: 64, maxCompressionRatio: 100 };

function reasonOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof VeniceError && error.status === 400, String(error));
    return (error.extra.details as { file: { _errors: string[] } }).file._errors[0];
  }
}

describe('checkArchive', () => {
  it('passes a real DOCX; refuses bytes with no zip directory as unreadable', async () => {
    assert.equal(
      reasonOf(() => checkArchive(Buffer.from('PK\x03\x04 and nothing else'), 'DOCX', LIMITS)),
      'The file could not be parsed as DOCX.',
    );
    const docx = await docxWithTable();
    assert.equal(
      reasonOf(() => checkArchive(docx, 'DOCX', LIMITS)),
      undefined,
    );
  });

  it('refuses by the directory: total unpacked size, entry count, one entry compressed past the ratio', async () => {
    assert.equal(
      reasonOf(() =>
        checkArchive(zipOf([{ name: 'a.xml', data: Buffer.alloc(9 * 1024 * 1024, 'x') }]), 'DOCX', {
          ...LIMITS,
          maxCompressionRatio: 1e9,
        }),
      ),
      'The DOCX file unpacks to more than 8 MB.',
    );
    const many = zipOf(
      Array.from({ length: 17 }, (_, index) => ({
        name: `part${index}.xml`,
        data: Buffer.from('<a/>'),
      })),
    );
    assert.equal(
      reasonOf(() => checkArchive(many, 'XLSX', { ...LIMITS, maxEntries: 16 })),
      'The XLSX file holds more than 16 parts.',
    );
    assert.equal(
      reasonOf(() =>
        checkArchive(
          zipOf([{ name: 'word/document.xml', data: Buffer.alloc(2 * 1024 * 1024, 'x') }]),
          'DOCX',
          LIMITS,
        ),
      ),
      "The DOCX file's part word/document.xml is compressed more than 100:1.",
    );
  });

  it('refuses an entry that inflates past the size its directory claims, without inflating more than that', async () => {
    const lying = await docxBomb(64 * 1024 * 1024, 1000);
    assert.equal(
      reasonOf(() => checkArchive(lying, 'DOCX', LIMITS)),
      'The file could not be parsed as DOCX.',
    );
  });
});
