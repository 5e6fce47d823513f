import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parserConfig, type ParserConfig } from '../../config/parser-config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { docxBomb, flatPage } from '../../../test/fixtures/document-bombs.ts';
import { docxWithTable } from '../../../test/fixtures/documents.ts';
import { ParserPool } from './parser-pool.ts';

const LIFTED = {
  archive: { maxUnpackedBytes: 2 ** 40, maxEntries: 1e6, maxCompressionRatio: 1e6 },
  html: { maxBytes: 2 ** 40, maxElements: 1e9, maxDepth: 1e6 },
};

function poolOf(overrides: Partial<ParserConfig>): ParserPool {
  return new ParserPool({ ...parserConfig.parse(undefined), ...overrides });
}

/** The refusal's status and its reason (a file's on details.file, a page's as its message). */
function refusal(error: unknown): { status: number; reason: string } {
  assert.ok(error instanceof VeniceError, String(error));
  const file = (error.extra.details as { file?: { _errors: string[] } } | undefined)?.file;
  return { status: error.status, reason: file?._errors[0] ?? error.message };
}

describe('ParserPool', () => {
  const pools: ParserPool[] = [];
  const make = (overrides: Partial<ParserConfig>): ParserPool => {
    const pool = poolOf(overrides);
    pools.push(pool);
    return pool;
  };
  after(() => Promise.all(pools.map((pool) => pool.close())));
  const live = (): AbortSignal => new AbortController().signal;

  it('extracts documents and reduces pages in its processes', async () => {
    const pool = make({});
    const [text, markdown] = await Promise.all([
      pool.extractText({ bytes: await docxWithTable(), filename: 'report.docx' }, live()),
      pool.htmlToMarkdown(
        '<html><head><title>T</title></head><body><p>Hello <a href="/x">there</a>.</p></body></html>',
        'http://example.org/page',
        live(),
      ),
    ]);
    assert.match(text, /^Quarterly report\n/);
    assert.equal(markdown, '# T\n\nHello [there](http://example.org/x).');
  });

  it('a document past the process heap is stopped and refused (400); the next job gets a fresh process', async () => {
    const pool = make({ memoryMb: 128, timeoutMs: 600_000, workers: 1, ...LIFTED });
    const error = await pool
      .extractText({ bytes: await docxBomb(), filename: 'bomb.docx' }, live())
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    assert.deepEqual(refusal(error), {
      status: 400,
      reason: 'The file needs more than 128 MB of memory to parse.',
    });
    assert.match(
      await pool.extractText({ bytes: await docxWithTable() }, live()),
      /Closing remarks\./,
    );
  });

  it('a page past the time limit is stopped and refused (400)', async () => {
    const pool = make({ timeoutMs: 300, workers: 1, ...LIFTED });
    const error = await pool.htmlToMarkdown(flatPage(400_000), 'http://example.org/', live()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.deepEqual(refusal(error), {
      status: 400,
      reason: 'The page took longer than 0.3 s to read.',
    });
  });

  it('past its queue a job is refused at once (429); a client that leaves takes its job off the queue or its process', async () => {
    const pool = make({ workers: 1, queueLength: 1, timeoutMs: 600_000, ...LIFTED });
    const [first, second] = [new AbortController(), new AbortController()];
    const running = pool
      .htmlToMarkdown(flatPage(2_000_000), 'http://example.org/', first.signal)
      .then(
        () => 'answered',
        (caught: unknown) => caught,
      );
    const queued = pool.htmlToMarkdown(flatPage(1_000), 'http://example.org/', second.signal).then(
      () => 'answered',
      (caught: unknown) => caught,
    );
    const refused = await pool.htmlToMarkdown('<p>third</p>', 'http://example.org/', live()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(refused instanceof VeniceError);
    assert.deepEqual(
      { status: refused.status, code: refused.code, message: refused.message },
      {
        status: 429,
        code: 'MODEL_OVERLOADED',
        message: 'The page parser is busy. Please try again later.',
      },
    );
    assert.deepEqual(pool.load, { running: 1, queued: 1 });
    second.abort(new Error('left the queue'));
    first.abort(new Error('left while running'));
    assert.equal(((await queued) as Error).message, 'left the queue');
    assert.equal(((await running) as Error).message, 'left while running');
    assert.deepEqual(pool.load, { running: 0, queued: 0 });
    assert.equal(await pool.htmlToMarkdown('<p>after</p>', 'http://example.org/', live()), 'after');
  });
});
