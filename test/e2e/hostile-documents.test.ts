// rialto-test: sqlite-only
// Hostile documents and pages against the real server (issue #15: nothing a client sends can stall or crash Rialto).
// Zip bombs (DOCX, XLSX, PPTX: test/fixtures/document-bombs.ts) sent to /augment/text-parser and as chat file parts;
// pages nested 20,000 deep or 4.7 MB flat, served from 127.0.0.1, sent to /augment/scrape. With the default caps
// each is refused with a 400 naming the cap before it is parsed; with the caps lifted the parser pool's heap and
// time limits stop it, and /health keeps answering while it runs. A key that may spend nothing gets its 402 before
// any file or page is fetched. No time is asserted: only which answers come, and in what order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deepPage, docxBomb, flatPage, pptxBomb, xlsxBomb } from '../fixtures/document-bombs.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

const PRICE = { usd: 0.01, diem: 0.01 };
const LIFTED = {
  archive: { maxUnpackedBytes: 2 ** 40, maxEntries: 1e6, maxCompressionRatio: 1e6 },
  html: { maxBytes: 2 ** 40, maxElements: 1e9, maxDepth: 1e6 },
};
// A priced chat model whose engine is never reached: every request here is refused before it.
const READER = {
  id: 'reader',
  engine: {
    kind: 'openai-compatible',
    endpoints: [{ url: 'http://127.0.0.1:9/v1' }],
    model: 'reader',
  },
  pricing: { input: PRICE, output: PRICE },
};

/** Pages for /augment/scrape and chat, and every path asked for. */
async function startPageServer(
  pages: Record<string, string | Buffer>,
): Promise<{ url: string; asked: string[]; close: () => Promise<void> }> {
  const asked: string[] = [];
  const server: Server = createServer((request, response) => {
    asked.push(request.url ?? '');
    const page = pages[request.url ?? ''];
    if (page === undefined) return void response.writeHead(404).end();
    response
      .writeHead(200, {
        'content-type':
          typeof page === 'string' ? 'text/html; charset=utf-8' : 'application/octet-stream',
      })
      .end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function documentForm(bytes: Buffer, name: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  return form;
}

/**
 * Sends `attack` and polls /health one request after another until the attack is answered; returns the attack's
 * status and body and how many /health polls were answered (200) before it was.
 */
async function whileAttacked(
  rialto: TestRialto,
  attack: () => Promise<Response>,
): Promise<{ status: number; body: Record<string, unknown>; healthAnswered: number }> {
  let answered = false;
  let healthAnswered = 0;
  const polling = (async () => {
    while (!answered) {
      const health = await fetch(`${rialto.origin}/health`);
      await health.arrayBuffer();
      if (health.status === 200 && !answered) healthAnswered += 1;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  try {
    const response = await attack();
    const body = (await response.json()) as Record<string, unknown>;
    answered = true;
    return { status: response.status, body, healthAnswered };
  } finally {
    answered = true;
    await polling;
  }
}

/** The reason of a refusal: a file's (details.file) or a page's (the message). */
function reasonOf(body: Record<string, unknown>): string {
  const file = (body.details as { file?: { _errors: string[] } } | undefined)?.file;
  return file?._errors[0] ?? String(body.error);
}

describe('hostile documents and pages', () => {
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let guarded: TestRialto;
  let lifted: TestRialto;
  const bombs: Record<string, Buffer> = {};

  before(async () => {
    [bombs['bomb.docx'], bombs['bomb.xlsx'], bombs['bomb.pptx']] = await Promise.all([
      docxBomb(),
      xlsxBomb(),
      pptxBomb(),
    ]);
    pages = await startPageServer({
      '/deep': deepPage(),
      '/flat': flatPage(),
      '/bomb.docx': bombs['bomb.docx']!,
    });
    const fetchPolicy = { allowHosts: ['127.0.0.1'] };
    [guarded, lifted] = await Promise.all([
      startRialto({
        fetch: fetchPolicy,
        augment: { pricing: { textParser: PRICE, scrape: PRICE, search: PRICE } },
        models: [READER],
      }),
      // The caps lifted: only the pool's heap and time limits stand between the bombs and the server.
      startRialto({
        fetch: fetchPolicy,
        parsers: { workers: 1, memoryMb: 128, timeoutMs: 10_000, ...LIFTED },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([guarded?.close(), lifted?.close(), pages?.close()]);
  });

  const post = (
    rialto: TestRialto,
    path: string,
    body: FormData | string,
    key = rialto.inferenceKey,
  ): Promise<Response> =>
    fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      body,
      headers: {
        authorization: `Bearer ${key}`,
        ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
      },
    });

  it('DOCX, XLSX and PPTX bombs (150 MB unpacked) are a 400 naming the cap, from the zip directory alone', async () => {
    for (const [name, format] of [
      ['bomb.docx', 'DOCX'],
      ['bomb.xlsx', 'XLSX'],
      ['bomb.pptx', 'PPTX'],
    ] as const) {
      const { status, body } = await whileAttacked(guarded, () =>
        post(guarded, '/augment/text-parser', documentForm(bombs[name]!, name)),
      );
      assert.equal(status, 400, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/augment/text-parser', status: 400, body });
      assert.equal(reasonOf(body), `The ${format} file unpacks to more than 100 MB.`);
    }
  });

  it('with the caps lifted, each bomb is stopped at the parser heap or time limit (400) while /health keeps answering', async () => {
    for (const name of ['bomb.docx', 'bomb.xlsx', 'bomb.pptx']) {
      const { status, body, healthAnswered } = await whileAttacked(lifted, () =>
        post(lifted, '/augment/text-parser', documentForm(bombs[name]!, name)),
      );
      assert.equal(status, 400, `${name}: ${JSON.stringify(body)}`);
      assert.match(
        reasonOf(body),
        /^The file (needs more than 128 MB of memory to parse|took longer than 10 s to parse)\.$/,
        name,
      );
      assert.ok(
        healthAnswered >= 3,
        `${name}: /health answered ${healthAnswered} times while the bomb was parsed`,
      );
    }
    // The server and its parsers still work.
    const response = await post(
      lifted,
      '/augment/text-parser',
      documentForm(Buffer.from('still here'), 'note.txt'),
    );
    assert.deepEqual(await response.json(), { text: 'still here', tokens: 3 });
  });

  it('a chat file part that is a bomb is a 400 naming the file and the cap', async () => {
    const dataUrl = `data:application/octet-stream;base64,${bombs['bomb.docx']!.toString('base64')}`;
    const response = await post(
      guarded,
      '/chat/completions',
      JSON.stringify({
        model: 'reader',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'read' },
              { type: 'file', file: { filename: 'report.docx', file_data: dataUrl } },
            ],
          },
        ],
      }),
    );
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error, 'report.docx: The DOCX file unpacks to more than 100 MB.');
  });

  it('a page 20,000 <div>s deep and a 4.7 MB flat page are a 400 naming the cap, before any DOM is built', async () => {
    for (const [path, reason] of [
      ['/deep', 'The page nests elements more than 128 deep.'],
      ['/flat', 'The page has more than 20000 elements.'],
    ] as const) {
      const { status, body } = await whileAttacked(guarded, () =>
        post(guarded, '/augment/scrape', JSON.stringify({ url: `${pages.url}${path}` })),
      );
      assert.equal(status, 400, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/augment/scrape', status: 400, body });
      assert.equal(body.error, reason);
    }
  });

  it('with the caps lifted, the same pages are stopped at the parser heap or time limit (400) while /health keeps answering', async () => {
    for (const path of ['/deep', '/flat']) {
      const { status, body, healthAnswered } = await whileAttacked(lifted, () =>
        post(lifted, '/augment/scrape', JSON.stringify({ url: `${pages.url}${path}` })),
      );
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.match(
        String(body.error),
        /^The page (needs more than 128 MB of memory to read|took longer than 10 s to read)\.$/,
        path,
      );
      assert.ok(
        healthAnswered >= 3,
        `${path}: /health answered ${healthAnswered} times while the page was read`,
      );
    }
  });

  it('a key that may spend nothing gets its 402 before any file or page is fetched or parsed', async () => {
    const broke = (
      await guarded.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'spends nothing',
        consumptionLimits: { usd: 0, diem: 0, vcu: null },
      })
    ).apiKey;
    const asked = pages.asked.length;
    const chat = (content: unknown[], parameters: Record<string, unknown> = {}) =>
      post(
        guarded,
        '/chat/completions',
        JSON.stringify({
          model: 'reader',
          messages: [{ role: 'user', content }],
          venice_parameters: parameters,
        }),
        broke,
      );
    for (const response of [
      await chat([
        { type: 'text', text: 'read' },
        { type: 'file', file: { filename: 'bomb.docx', file_data: `${pages.url}/bomb.docx` } },
      ]),
      await chat([{ type: 'text', text: `summarise ${pages.url}/deep` }], {
        enable_web_scraping: true,
      }),
      await post(
        guarded,
        '/augment/text-parser',
        documentForm(bombs['bomb.docx']!, 'bomb.docx'),
        broke,
      ),
      await post(guarded, '/augment/scrape', JSON.stringify({ url: `${pages.url}/deep` }), broke),
    ]) {
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 402, JSON.stringify(body));
      assert.match(String(body.error), /spend limit exceeded/);
    }
    assert.deepEqual(pages.asked.slice(asked), [], 'nothing was fetched');
  });
});
