// rialto-test: sqlite-only
// POST /augment/search on the Brave Search API and on SearxNG (doubles: test/support/upstream/search-servers.ts),
// and POST /augment/scrape of real pages served from 127.0.0.1: shapes checked against the swagger, providers,
// limits, refusals, upstream failures, and the flat price charged once per successful request only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  DOCUMENTS,
  startBraveSearchServer,
  startSearxngServer,
  type SearchServer,
} from '../support/upstream/search-servers.ts';

const PRICE = 0.01;
const BRAVE_TOKEN = 'brave-subscription-token';

const ARTICLE = `<!doctype html><html><head><title>The Rialto Bridge</title><script>window.tracking = "SCRIPT-TEXT";</script>
<style>body { color: red }</style></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a> | NAVIGATION-TEXT</nav>
<header><div class="banner">Subscribe to our newsletter! BANNER-TEXT</div></header>
<main><article><h1>The Rialto Bridge</h1>
<p>The Rialto Bridge is the oldest of the four bridges spanning the Grand Canal in Venice. Connecting the sestieri of San Marco and
San Polo, it has been rebuilt several times since its first construction as a pontoon bridge in 1173, and is now a significant
tourist attraction in the city.</p>
<p>The present stone bridge, a single span designed by <a href="/people/antonio-da-ponte">Antonio da Ponte</a>, was completed in
1591. It is similar to the wooden bridge it succeeded. Two inclined ramps lead up to a central portico.</p>
<h2>Construction</h2>
<ul><li>Pontoon bridge, 1173</li><li>Wooden bridge, 1255</li><li>Stone bridge, 1591</li></ul>
<p>The engineering of the bridge was considered so audacious that architects predicted a future collapse. The bridge has defied
its critics to become one of the architectural icons of Venice.</p>
</article></main>
<footer>Copyright FOOTER-TEXT</footer></body></html>`;

const MARKDOWN = '# Gondolas\n\nA gondola is a traditional, flat-bottomed Venetian rowing boat.\n';

/** The pages /augment/scrape reads. */
async function startPageServer(): Promise<{
  url: string;
  accepts: string[];
  close: () => Promise<void>;
}> {
  const accepts: string[] = [];
  const server: Server = createServer((request, response) => {
    accepts.push(request.headers.accept ?? '');
    switch (request.url) {
      case '/article':
        return void response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(ARTICLE);
      case '/gondolas':
        // Markdown for Agents: the same page as Markdown when the client asks for it.
        if ((request.headers.accept ?? '').includes('text/markdown'))
          return void response
            .writeHead(200, { 'content-type': 'text/markdown; charset=utf-8' })
            .end(MARKDOWN);
        return void response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><body><p>HTML-VERSION</p></body></html>');
      case '/notes.txt':
        return void response
          .writeHead(200, { 'content-type': 'text/plain' })
          .end('  Plain notes about the lagoon.  \n');
      case '/moved':
        return void response.writeHead(302, { location: '/article' }).end();
      case '/report.pdf':
        return void response.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4');
      case '/empty':
        return void response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><head></head><body>   </body></html>');
      case '/huge':
        return void response
          .writeHead(200, { 'content-type': 'text/html' })
          .end(`<html><body><p>${'x'.repeat(6 * 1024 * 1024)}</p></body></html>`);
      default:
        return void response
          .writeHead(404, { 'content-type': 'text/html' })
          .end('<html><body>Not found</body></html>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepts,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('/augment/search and /augment/scrape', () => {
  let brave: SearchServer;
  let searxng: SearchServer;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let rialto: TestRialto;
  let bare: TestRialto;

  before(async () => {
    [brave, searxng, pages] = await Promise.all([
      startBraveSearchServer(BRAVE_TOKEN),
      startSearxngServer(),
      startPageServer(),
    ]);
    const pricing = { search: { usd: PRICE, diem: PRICE }, scrape: { usd: PRICE, diem: PRICE } };
    [rialto, bare] = await Promise.all([
      startRialto({
        fetch: { allowHosts: ['127.0.0.1'] },
        augment: {
          search: [
            { kind: 'searxng', provider: 'google', url: searxng.url, engines: 'google' },
            { kind: 'brave', apiKey: BRAVE_TOKEN, url: brave.url },
          ],
          pricing,
        },
      }),
      startRialto({ augment: { pricing } }),
    ]);
  });
  after(async () => {
    await Promise.all([rialto?.close(), bare?.close()]);
    await Promise.all([brave?.close(), searxng?.close(), pages?.close()]);
  });

  const post = (
    target: TestRialto,
    path: string,
    body: unknown,
    key: string | null = target.inferenceKey,
  ): Promise<Response> =>
    fetch(`${target.baseURL}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
    });
  const balance = async (target: TestRialto): Promise<number> =>
    (await target.store.accounts.find('default'))!.usdBalance;

  /** A 200 JSON answer checked against the swagger, and what the call cost. */
  async function charged<T>(
    target: TestRialto,
    path: string,
    body: unknown,
  ): Promise<{ answer: T; cost: number }> {
    const before = await balance(target);
    const response = await post(target, path, body);
    const answer = (await response.json()) as T;
    assert.equal(response.status, 200, JSON.stringify(answer));
    validateResponse({ method: 'POST', path, status: 200, body: answer });
    return { answer, cost: before - (await balance(target)) };
  }

  /** A refusal: its status, its body checked against the swagger, nothing charged. */
  async function refused(
    target: TestRialto,
    path: string,
    body: unknown,
    status: number,
    key?: string | null,
  ): Promise<{ error: string }> {
    const before = await balance(target);
    const response = await post(target, path, body, key);
    const answer = (await response.json()) as { error: string };
    assert.equal(response.status, status, JSON.stringify(answer));
    validateResponse({ method: 'POST', path, status, body: answer });
    assert.equal(await balance(target), before, 'nothing charged');
    return answer;
  }

  it('search, brave (the default provider): the Brave API with the token and count; highlighted snippets, page dates; charged once', async () => {
    brave.requests.length = 0;
    const { answer, cost } = await charged<{
      query: string;
      results: { title: string; url: string; content: string; date: string }[];
    }>(rialto, '/augment/search', { query: 'rialto bridge', limit: 3 });
    assert.equal(answer.query, 'rialto bridge');
    assert.deepEqual(
      answer.results.map((result) => result.url),
      DOCUMENTS.slice(0, 3).map((document) => document.url),
    );
    assert.match(
      answer.results[0]!.content,
      /The <strong>Rialto<\/strong> <strong>Bridge<\/strong> over the Grand Canal/,
    );
    assert.deepEqual(
      answer.results.map((result) => result.date),
      ['', DOCUMENTS[1]!.date, DOCUMENTS[2]!.date],
    );
    assert.deepEqual(
      brave.requests.map((request) => [
        request.path,
        request.query.q,
        request.query.count,
        request.token,
      ]),
      [['/res/v1/web/search', 'rialto bridge', '3', BRAVE_TOKEN]],
    );
    assert.equal(cost, toNanos(PRICE));
  });

  it('search, google: the SearxNG JSON API with its engines, page by page up to the limit; no date is ""', async () => {
    searxng.requests.length = 0;
    const { answer, cost } = await charged<{ results: { url: string; date: string }[] }>(
      rialto,
      '/augment/search',
      { query: 'Grand Canal', limit: 15, search_provider: 'google' },
    );
    assert.deepEqual(
      answer.results.map((result) => result.url),
      DOCUMENTS.slice(0, 15).map((document) => document.url),
    );
    assert.equal(answer.results[0]!.date, '');
    assert.deepEqual(
      searxng.requests.map((request) => [
        request.query.q,
        request.query.format,
        request.query.pageno,
        request.query.engines,
      ]),
      [
        ['Grand Canal', 'json', '1', 'google'],
        ['Grand Canal', 'json', '2', 'google'],
      ],
    );
    assert.equal(cost, toNanos(PRICE));
    const none = await charged<{ results: unknown[] }>(rialto, '/augment/search', {
      query: 'gondola regatta',
      search_provider: 'google',
    });
    assert.deepEqual(none.answer.results, [], 'no hits is an empty list');
  });

  it('search validation: 400 for an empty or long query, a limit outside 1..20, another provider; before any upstream call', async () => {
    const calls = brave.requests.length + searxng.requests.length;
    for (const body of [
      { query: '' },
      { query: 'x'.repeat(401) },
      { query: 'venice', limit: 21 },
      { query: 'venice', limit: 0 },
      { query: 'venice', search_provider: 'bing' },
      {},
    ]) {
      await refused(rialto, '/augment/search', body, 400);
    }
    const unconfigured = await refused(bare, '/augment/search', { query: 'venice' }, 400);
    assert.match(unconfigured.error, /no search engine is configured/);
    await refused(rialto, '/augment/search', { query: 'venice' }, 401, null);
    assert.equal(brave.requests.length + searxng.requests.length, calls);
  });

  it('search engine failures: rate limited is 429, down or a bad answer 500 (the codes the swagger lists); none is charged', async () => {
    brave.failNext(1, 429);
    await refused(rialto, '/augment/search', { query: 'rialto' }, 429);
    searxng.failNext(1, 502);
    await refused(rialto, '/augment/search', { query: 'rialto', search_provider: 'google' }, 500);
    const broken = await startRialto({
      augment: { search: [{ kind: 'brave', apiKey: 'wrong-token', url: brave.url }] },
    });
    try {
      const answer = await refused(broken, '/augment/search', { query: 'rialto' }, 500);
      assert.equal(answer.error, 'The search failed.', 'the engine’s own words stay in the log');
    } finally {
      await broken.close();
    }
  });

  it('scrape: a page’s main content as Markdown (title, text, list, absolute links), without navigation, scripts or footer; charged once', async () => {
    const { answer, cost } = await charged<{ url: string; content: string; format: string }>(
      rialto,
      '/augment/scrape',
      { url: `${pages.url}/article` },
    );
    assert.equal(answer.url, `${pages.url}/article`);
    assert.equal(answer.format, 'markdown');
    assert.match(answer.content, /^# The Rialto Bridge\n/);
    assert.match(answer.content, /oldest of the four bridges spanning the Grand Canal/);
    assert.match(answer.content, /## Construction/);
    assert.match(answer.content, /- {1,3}Stone bridge, 1591/);
    assert.ok(
      answer.content.includes(`[Antonio da Ponte](${pages.url}/people/antonio-da-ponte)`),
      answer.content,
    );
    for (const noise of [
      'SCRIPT-TEXT',
      'NAVIGATION-TEXT',
      'BANNER-TEXT',
      'FOOTER-TEXT',
      'color: red',
    ])
      assert.ok(!answer.content.includes(noise), `${noise} left out`);
    assert.equal(cost, toNanos(PRICE));
  });

  it('scrape: Markdown is asked for first and kept as served; plain text is kept; redirects are followed', async () => {
    const markdown = await charged<{ content: string }>(rialto, '/augment/scrape', {
      url: `${pages.url}/gondolas`,
    });
    assert.equal(markdown.answer.content, MARKDOWN.trim());
    assert.match(pages.accepts.at(-1)!, /^text\/markdown, text\/html/);
    assert.equal(
      (
        await charged<{ content: string }>(rialto, '/augment/scrape', {
          url: `${pages.url}/notes.txt`,
        })
      ).answer.content,
      'Plain notes about the lagoon.',
    );
    const moved = await charged<{ url: string; content: string }>(rialto, '/augment/scrape', {
      url: `${pages.url}/moved`,
    });
    assert.equal(moved.answer.url, `${pages.url}/moved`);
    assert.match(moved.answer.content, /^# The Rialto Bridge/);
  });

  it('scrape refusals: blocked sites at once, private addresses, other media types, missing, empty or too large pages: 400; none charged', async () => {
    const before = pages.accepts.length;
    for (const url of [
      'https://x.com/venice',
      'https://old.reddit.com/r/venice',
      'https://twitter.com/x',
    ]) {
      assert.match(
        (await refused(rialto, '/augment/scrape', { url }, 400)).error,
        /blocks automated access/,
      );
    }
    for (const url of [
      `${pages.url}/report.pdf`,
      `${pages.url}/nowhere`,
      `${pages.url}/empty`,
      'not a url',
      'ftp://127.0.0.1/file',
    ])
      await refused(rialto, '/augment/scrape', { url }, 400);
    assert.match(
      (await refused(rialto, '/augment/scrape', { url: `${pages.url}/huge` }, 400)).error,
      /larger than 5 MB/,
    );
    assert.match(
      (await refused(bare, '/augment/scrape', { url: `${pages.url}/article` }, 400)).error,
      /private address/,
      'only hosts the operator allows',
    );
    assert.equal(
      pages.accepts.length - before,
      4,
      'only the pdf, missing, empty and huge pages were fetched: blocked, malformed and private URLs never were',
    );
  });
});
