/**
 * Test doubles of the search APIs Rialto's search engines call: REAL HTTP servers (node:http on 127.0.0.1, port 0).
 *  - SearxNG (searx/webapp.py `/search`): GET /search?q=…&format=json&pageno=N[&engines=…][&language=…] → the JSON
 *    of a result page: {query, number_of_results, results: [{url, title, content, engine, engines, positions,
 *    parsed_url, template, score, category, publishedDate (ISO or null)}], answers, corrections, infoboxes,
 *    suggestions, unresponsive_engines}, 10 results a page. Without format=json (or with json disabled in its
 *    settings) SearxNG answers 403 Forbidden (HTML).
 *  - Brave Search API (GET /res/v1/web/search?q=…&count=N, header X-Subscription-Token): {type: "search", query:
 *    {original, …}, mixed, web: {type: "search", results: [{title, url, description (with <strong> highlights),
 *    page_age, age, language, family_friendly, type: "search_result", …}]}}; a wrong token is 401 with Brave's
 *    ErrorResponse {type, error: {id, status, code: "SUBSCRIPTION_TOKEN_INVALID", detail, meta}}; `count` over 20
 *    is 422 (VALIDATE). `status` forces the next answers' status (429 rate limits, 500).
 * The corpus: DOCUMENTS, each found when every word of the query (but '#' words) is in its title or text (case-insensitive).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SearchDocument {
  title: string;
  url: string;
  text: string;
  /** ISO date, or undefined when the page has none. */
  date?: string;
}

/** 25 pages about Venice: enough for three SearxNG pages and Brave's 20. */
export const DOCUMENTS: SearchDocument[] = Array.from({ length: 25 }, (_, index) => ({
  title: `Rialto Bridge, part ${index + 1}`,
  url: `https://venice.example.org/rialto/${index + 1}`,
  text: `The Rialto Bridge over the Grand Canal in Venice, chapter ${index + 1} of its history.`,
  ...(index % 3 === 0 ? {} : { date: `2024-0${(index % 9) + 1}-1${index % 10}T08:00:00` }),
}));

/** Words starting with '#' are not search terms: they pick a replay recording in chat web-search tests (the query is the chat message). */
function matches(document: SearchDocument, query: string): boolean {
  const haystack = `${document.title} ${document.text}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '' && !word.startsWith('#'))
    .every((word) => haystack.includes(word));
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json',
): void {
  response
    .writeHead(status, { 'content-type': type })
    .end(typeof body === 'string' ? body : JSON.stringify(body));
}

export interface RecordedSearch {
  path: string;
  query: Record<string, string>;
  token: string | undefined;
}

export interface SearchServer {
  /** SearxNG: the instance's base URL; Brave: the API base (…/res/v1). */
  url: string;
  requests: RecordedSearch[];
  /** The next `count` answers have this status (Brave: its ErrorResponse; SearxNG: an HTML error page). */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

async function start(
  handle: (url: URL, request: IncomingMessage, response: ServerResponse) => void,
  basePath: string,
): Promise<SearchServer> {
  const requests: RecordedSearch[] = [];
  let failures = { count: 0, status: 500 };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://search.test');
    const token = request.headers['x-subscription-token'];
    requests.push({
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      token: typeof token === 'string' ? token : undefined,
    });
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      return send(
        response,
        failures.status,
        basePath === ''
          ? `<html><body>${failures.status}</body></html>`
          : braveError(failures.status),
        basePath === '' ? 'text/html' : 'application/json',
      );
    }
    handle(url, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    failNext: (count, status) => {
      failures = { count, status };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function startSearxngServer(): Promise<SearchServer> {
  return start((url, _request, response) => {
    if (url.pathname !== '/search')
      return send(response, 404, '<html><body>Not Found</body></html>', 'text/html');
    if (url.searchParams.get('format') !== 'json')
      return send(response, 403, '<html><body>Forbidden</body></html>', 'text/html');
    const query = url.searchParams.get('q') ?? '';
    const page = Number(url.searchParams.get('pageno') ?? '1');
    const found = DOCUMENTS.filter((document) => matches(document, query));
    const engines = (url.searchParams.get('engines') ?? 'brave,duckduckgo').split(',');
    send(response, 200, {
      query,
      number_of_results: 0,
      results: found.slice((page - 1) * 10, page * 10).map((document, index) => ({
        url: document.url,
        title: document.title,
        content: document.text,
        engine: engines[0],
        engines,
        positions: [index + 1],
        parsed_url: ['https', 'venice.example.org', new URL(document.url).pathname, '', '', ''],
        template: 'default.html',
        score: 1 / (index + 1),
        category: 'general',
        publishedDate: document.date ?? null,
        thumbnail: null,
      })),
      answers: [],
      corrections: [],
      infoboxes: [],
      suggestions: [],
      unresponsive_engines: [],
    });
  }, '');
}

function braveError(
  status: number,
  code = status === 429 ? 'RATE_LIMITED' : 'UNKNOWN',
  detail = 'The request failed.',
): unknown {
  return {
    type: 'ErrorResponse',
    error: { id: 'c1a2b3', status, code, detail, meta: {} },
    time: Math.floor(Date.now() / 1000),
  };
}

/** Brave's highlighting: each query word in the text wrapped in <strong>. */
function highlight(text: string, query: string): string {
  return query
    .split(/\s+/)
    .filter((word) => word.length > 2)
    .reduce(
      (result, word) => result.replace(new RegExp(`\\b(${word})\\b`, 'gi'), '<strong>$1</strong>'),
      text,
    );
}

export function startBraveSearchServer(token: string): Promise<SearchServer> {
  return start((url, request, response) => {
    if (url.pathname !== '/res/v1/web/search')
      return send(response, 404, braveError(404, 'NOT_FOUND', 'Resource not found.'));
    if (request.headers['x-subscription-token'] !== token)
      return send(
        response,
        401,
        braveError(
          401,
          'SUBSCRIPTION_TOKEN_INVALID',
          'The provided subscription token is invalid.',
        ),
      );
    const count = Number(url.searchParams.get('count') ?? '20');
    if (!(count >= 1 && count <= 20))
      return send(
        response,
        422,
        braveError(422, 'VALIDATION', 'Unable to validate request parameter(s).'),
      );
    const query = url.searchParams.get('q') ?? '';
    const found = DOCUMENTS.filter((document) => matches(document, query)).slice(0, count);
    send(response, 200, {
      type: 'search',
      query: {
        original: query,
        show_strict_warning: false,
        is_navigational: false,
        is_news_breaking: false,
        spellcheck_off: true,
        country: 'us',
        more_results_available: true,
      },
      mixed: {
        type: 'mixed',
        main: found.map((_, index) => ({ type: 'web', index, all: false })),
        top: [],
        side: [],
      },
      web: {
        type: 'search',
        family_friendly: true,
        results: found.map((document) => ({
          title: document.title,
          url: document.url,
          is_source_local: false,
          is_source_both: false,
          description: highlight(document.text, query),
          profile: { name: 'Venice', url: document.url, long_name: 'venice.example.org', img: '' },
          language: 'en',
          family_friendly: true,
          type: 'search_result',
          subtype: 'generic',
          is_live: false,
          meta_url: {
            scheme: 'https',
            netloc: 'venice.example.org',
            hostname: 'venice.example.org',
            favicon: '',
            path: new URL(document.url).pathname,
          },
          ...(document.date === undefined
            ? {}
            : { page_age: document.date, age: new Date(`${document.date}Z`).toDateString() }),
        })),
      },
    });
  }, '/res/v1');
}
