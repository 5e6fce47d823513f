// rialto-test: sqlite-only
// POST /augment/text-parser on real documents built in memory (test/fixtures/documents.ts): PDF, DOCX, PPTX,
// XLSX and text through multipart, json and text answers checked against the swagger, refusals with their
// exact bodies, the 25 MB limit, and the flat price (augment.pricing.textParser) charged once per parse only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokens } from '../../src/engines/openai-compatible/openai-compatible-engine.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import {
  docxWithTable,
  pdfWithoutText,
  pdfWithText,
  pptxWithSlides,
  xlsxWithSheets,
} from '../fixtures/documents.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

const PATH = '/augment/text-parser';
const PRICE = 0.01;
const NO_TEXT = { error: 'No text content could be extracted from the file.' };

function form(
  file: { bytes: Buffer; name: string; type?: string } | undefined,
  fields: Record<string, string> = {},
): FormData {
  const body = new FormData();
  if (file !== undefined)
    body.append(
      'file',
      new Blob([file.bytes], file.type === undefined ? {} : { type: file.type }),
      file.name,
    );
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

describe('POST /augment/text-parser', () => {
  let rialto: TestRialto;

  before(async () => {
    rialto = await startRialto({
      augment: { pricing: { textParser: { usd: PRICE, diem: PRICE } } },
    });
  });
  after(async () => {
    await rialto?.close();
  });

  const post = (
    body: FormData | string,
    headers: Record<string, string> = {},
    key: string | null = rialto.inferenceKey,
  ): Promise<Response> =>
    fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      body,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    });
  const balance = async (): Promise<number> =>
    (await rialto.store.accounts.find('default'))!.usdBalance;

  /** A 200 JSON answer checked against the swagger, and what it cost. */
  async function parsed(file: {
    bytes: Buffer;
    name: string;
    type?: string;
  }): Promise<{ text: string; tokens: number; cost: number }> {
    const before = await balance();
    const response = await post(form(file));
    const body = (await response.json()) as { text: string; tokens: number };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    return { ...body, cost: before - (await balance()) };
  }

  /** A refusal: its status and body, nothing charged. `documented`: the swagger lists the status for this path. */
  async function refused(
    body: FormData | string,
    status: number,
    options: { headers?: Record<string, string>; key?: string | null; documented?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const before = await balance();
    const response = await post(body, options.headers, options.key);
    const answer = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, status, JSON.stringify(answer));
    if (options.documented !== false)
      validateResponse({ method: 'POST', path: PATH, status, body: answer });
    assert.equal(await balance(), before, 'nothing charged');
    return answer;
  }

  it('a 2-page PDF: its text in order, the token estimate, charged the flat price once', async () => {
    const bytes = await pdfWithText([
      ['The Rialto Bridge', 'spans the Grand Canal.'],
      ['Page two: completed in 1591.'],
    ]);
    const { text, tokens, cost } = await parsed({
      bytes,
      name: 'bridge.pdf',
      type: 'application/pdf',
    });
    assert.equal(text, 'The Rialto Bridge\nspans the Grand Canal.\n\nPage two: completed in 1591.');
    assert.equal(tokens, estimateTokens(text));
    assert.equal(cost, toNanos(PRICE));
  });

  it('DOCX, PPTX, XLSX and a code file, each charged once', async () => {
    const files = [
      {
        bytes: await docxWithTable(),
        name: 'report.docx',
        expected:
          'Quarterly report\nRevenue grew strongly in the north.\n\nRegion\tSales\nNorth\t1200\n\nClosing remarks.',
      },
      {
        bytes: await pptxWithSlides([['Slide one'], ['Slide two']]),
        name: 'deck.pptx',
        expected: 'Slide one\n\nSlide two',
      },
      {
        bytes: await xlsxWithSheets({ First: [['a', 1]], Second: [['b', 2.5]] }),
        name: 'book.xlsx',
        expected: '# First\na\t1\n\n# Second\nb\t2.5',
      },
      {
        bytes: Buffer.from('export const greeting = "ciao, Venezia — ü";\n'),
        name: 'greeting.ts',
        expected: 'export const greeting = "ciao, Venezia — ü";\n',
      },
    ];
    for (const file of files) {
      const { text, cost } = await parsed(file);
      assert.equal(text, file.expected, file.name);
      assert.equal(cost, toNanos(PRICE), file.name);
    }
  });

  it('response_format text: the text alone as text/plain', async () => {
    const before = await balance();
    const response = await post(
      form(
        { bytes: Buffer.from('Grüße aus Venedig\n'), name: 'notes.txt' },
        { response_format: 'text' },
      ),
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const body = await response.text();
    validateResponse({ method: 'POST', path: PATH, status: 200, contentType: 'text/plain', body });
    assert.equal(body, 'Grüße aus Venedig\n');
    assert.equal(before - (await balance()), toNanos(PRICE));
  });

  it('the usage record names augment-text-parser', async () => {
    const earlier = new Set(
      (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).map(
        (record) => record.id,
      ),
    );
    assert.equal((await post(form({ bytes: Buffer.from('usage'), name: 'u.txt' }))).status, 200);
    const added = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter(
      (record) => !earlier.has(record.id),
    );
    assert.deepEqual(
      added.map(({ modelId, modelType, status, amount }) => ({
        modelId,
        modelType,
        status,
        amount,
      })),
      [
        {
          modelId: 'augment-text-parser',
          modelType: 'augment',
          status: 'completed',
          amount: toNanos(PRICE),
        },
      ],
    );
  });

  it('a PDF with no text (a drawn rectangle only) is 400 with the documented body; not charged', async () => {
    assert.deepEqual(
      await refused(form({ bytes: await pdfWithoutText(), name: 'scan.pdf' }), 400),
      NO_TEXT,
    );
    assert.deepEqual(
      await refused(form({ bytes: Buffer.alloc(0), name: 'empty.txt' }), 400),
      NO_TEXT,
    );
  });

  it('binary that is no supported format is 400 naming the file; not charged', async () => {
    const noise = Buffer.from(
      Array.from({ length: 4096 }, (_, index) => (index * 7919 + 13) % 256),
    );
    const answer = await refused(form({ bytes: noise, name: 'noise.bin' }), 400);
    const reason =
      'Unsupported file type. Supported formats: PDF, DOCX, PPTX, XLSX, and plain text or code files.';
    assert.deepEqual(answer, {
      error: 'Invalid request parameters',
      details: { _errors: [], file: { _errors: [reason] } },
      issues: [{ code: 'custom', path: ['file'], message: reason }],
    });
    const broken = await refused(form({ bytes: noise, name: 'broken.pdf' }), 400);
    assert.deepEqual(broken.details, {
      _errors: [],
      file: { _errors: ['The file could not be parsed as PDF.'] },
    });
  });

  it('validation: a missing file, a text field for the file, a bad response_format are 400; unknown fields are ignored', async () => {
    const missing = (await refused(form(undefined, { response_format: 'json' }), 400)) as {
      issues: { path: string[]; message: string }[];
    };
    assert.deepEqual(
      missing.issues.map(({ path, message }) => ({ path, message })),
      [{ path: ['file'], message: 'Required' }],
    );
    const textField = new FormData();
    textField.append('file', 'not a file');
    await refused(textField, 400);
    await refused(
      form({ bytes: Buffer.from('x'), name: 'x.txt' }, { response_format: 'xml' }),
      400,
    );
    assert.equal(
      (await post(form({ bytes: Buffer.from('kept'), name: 'k.txt' }, { model: 'whatever' })))
        .status,
      200,
    );
  });

  it('a file over 25 MB is 413 with the PayloadTooLargeError body; not charged', async () => {
    // The swagger lists no 413 for this path; the body is INVENTORY §4.2's, as /audio/transcriptions sends.
    const answer = await refused(
      form({ bytes: Buffer.alloc(25 * 1024 * 1024 + 1, 0x61), name: 'big.txt' }),
      413,
      { documented: false },
    );
    assert.deepEqual(answer, {
      code: 'PAYLOAD_TOO_LARGE',
      error: 'File exceeds the maximum allowed size of 25 MB.',
    });
  });

  it('a file of exactly 25 MB is parsed', async () => {
    const { text } = await parsed({
      bytes: Buffer.alloc(25 * 1024 * 1024, 0x61),
      name: 'limit.txt',
    });
    assert.equal(text.length, 25 * 1024 * 1024);
  });

  it('401 without a key; JSON instead of multipart is 415; neither charged', async () => {
    assert.deepEqual(
      await refused(form({ bytes: Buffer.from('x'), name: 'x.txt' }), 401, { key: null }),
      { error: 'Authentication failed' },
    );
    await refused(JSON.stringify({ file: 'x' }), 415, {
      headers: { 'content-type': 'application/json' },
      documented: false,
    });
  });
});
