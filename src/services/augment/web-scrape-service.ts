import { VeniceError } from '../../errors/venice-error.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ParserPool } from '../parsers/parser-pool.ts';
import { pageRefused as refused } from './page-errors.ts';

/** What a page may be served as. Markdown is asked for first (Cloudflare's Markdown for Agents answers it). */
const ACCEPTED = ['text/markdown', 'text/html', 'application/xhtml+xml', 'text/plain'];
/** Pages are read up to this size: a scrape is for reading, not for downloads. */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;

/**
 * /augment/scrape (docs/api-reference/endpoint/augment/scrape.mdx): a public page's content as Markdown. Sites
 * that block scrapers (augment.scrapeBlockedHosts: X/Twitter, Reddit) are refused at once with a 400; the page
 * is fetched under config.fetch's rules (no private addresses, size and time limits); Markdown and plain text
 * are returned as served, HTML is reduced to its main content (html-to-markdown.ts) on a parser process, under the
 * pool's caps (config.parsers: a page too large, too deep or too slow to read is a 400).
 */
export class WebScrapeService {
  private readonly blocked: string[];

  constructor(
    private readonly fetcher: UrlFetcher,
    blockedHosts: string[],
    private readonly parsers: ParserPool,
  ) {
    this.blocked = blockedHosts.map((host) => host.toLowerCase().replace(/^\.+/, ''));
  }

  /** Refuses a URL that is not http(s) or whose host is blocked, before anything is charged or fetched. */
  check(raw: string): URL {
    const url = URL.parse(raw);
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw refused('The url must be an http or https URL.');
    const host = url.hostname.toLowerCase();
    if (this.blocked.some((blocked) => host === blocked || host.endsWith(`.${blocked}`)))
      throw refused(`${host} blocks automated access and cannot be scraped.`);
    return url;
  }

  async scrape(
    raw: string,
    signal: AbortSignal,
  ): Promise<{ url: string; content: string; format: 'markdown' }> {
    const url = this.check(raw);
    let page;
    try {
      page = await this.fetcher.fetch(url.href, {
        field: 'url',
        accept: ACCEPTED,
        maxBytes: MAX_PAGE_BYTES,
        signal,
      });
    } catch (error) {
      // swagger: /augment/scrape documents no 413; a page too large to read is the URL's problem.
      if (error instanceof VeniceError && error.code === 'PAYLOAD_TOO_LARGE')
        throw refused(`The page is larger than ${MAX_PAGE_BYTES / 1024 / 1024} MB.`);
      throw error;
    }
    const text = page.bytes.toString('utf8');
    const content =
      page.contentType === 'text/html' ||
      page.contentType === 'application/xhtml+xml' ||
      page.contentType === undefined
        ? await this.parsers.htmlToMarkdown(text, page.url, signal)
        : text.trim();
    if (content === '') throw refused('The page has no readable content.');
    return { url: raw, content, format: 'markdown' };
  }
}
