import type { AugmentConfig } from '../../config.ts';
import type { SearchHit } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatMessage } from '../../schemas/chat.ts';
import { withFlatPrice } from '../augment/flat-price.ts';
import type { WebScrapeService } from '../augment/web-scrape-service.ts';
import type { WebSearchService } from '../augment/web-search-service.ts';
import type { Billing } from '../billing/meter.ts';
import type { EffectiveVeniceParameters } from './prepare-chat.ts';
import { lastUserText, pageCitation, urlsIn } from './web-context.ts';

export interface ChatWebDependencies {
  /** The search engines of augment.search; with none, a request that asks for web search is a 400. */
  search: WebSearchService;
  /** Reads the pages of enable_web_scraping (augment.scrapeBlockedHosts and config.fetch apply). */
  scrape: WebScrapeService;
  /** augment.pricing: `search` per search made, `scrape` per page read. */
  pricing: AugmentConfig['pricing'];
}

/** Hits per search: /augment/search's default `limit` (swagger WebSearchRequest.limit). */
export const SEARCH_RESULTS = 10;
/** The search query: the last user message, cut to what /augment/search accepts (WebSearchRequest.query, 400 characters). */
export const MAX_QUERY_CHARS = 400;

// The same message as before chat search existed, so clients keep reading the same refusal.
const NO_SEARCH =
  'Web search is not available on this server: no search engine is configured. Set enable_web_search to "off".';

/** Whether the request asks for search or scraping at all (a web_search tool already turned the mode "on"). */
export function asksForWeb(parameters: EffectiveVeniceParameters): boolean {
  return parameters.enable_web_search !== 'off' || parameters.enable_web_scraping;
}

/**
 * Web search and scraping for a chat request (venice_parameters, INVENTORY §2.3 and §2.12). Search is billed once a
 * request at augment.pricing.search, each page read at augment.pricing.scrape, each as its own usage record
 * (`augment-search`, `augment-scrape`, as the /augment endpoints record them), charged when it succeeds even when
 * the chat itself then fails: the search was made.
 */
export class WebRetrieval {
  constructor(private readonly web: ChatWebDependencies | undefined) {}

  /** 400 before anything runs or is charged when web search is asked for and no engine serves it. */
  check(parameters: EffectiveVeniceParameters): void {
    if (parameters.enable_web_search !== 'off' && this.web?.search.configured !== true)
      throw new VeniceError('INVALID_REQUEST', { message: NO_SEARCH });
  }

  /**
   * The results for the model and the citations, or undefined when nothing was retrieved (not asked, "auto" decided
   * against, no text to search). Scraping reads the URLs of the last user message (the first 5); pages that fail
   * are skipped, unbilled, and when any page was read there is no search ("bypasses web search", api-spec.mdx).
   * `decide` answers "auto". A search failure fails the request (429/500, as /augment/search answers).
   */
  async retrieve(
    parameters: EffectiveVeniceParameters,
    messages: ChatMessage[],
    decide: (question: string) => Promise<boolean>,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<SearchHit[] | undefined> {
    const web = this.web;
    if (web === undefined || !asksForWeb(parameters)) return undefined;
    const text = lastUserText(messages);
    if (parameters.enable_web_scraping) {
      const pages = await Promise.all(
        urlsIn(text).map((url) => this.read(web, url, signal, billing)),
      );
      const read = pages.filter((page) => page !== undefined);
      if (read.length > 0 || parameters.enable_web_search === 'off') return read;
    }
    const query = text.trim().slice(0, MAX_QUERY_CHARS).trim();
    if (query === '' || parameters.enable_web_search === 'off') return undefined;
    if (parameters.enable_web_search === 'auto' && !(await decide(query))) return undefined;
    return withFlatPrice(billing, 'augment-search', web.pricing.search, signal, () =>
      web.search.search(query, SEARCH_RESULTS, undefined, signal),
    );
  }

  /** One page as a citation, or undefined when it cannot be read (blocked, private, missing, not text). */
  private async read(
    web: ChatWebDependencies,
    url: string,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<SearchHit | undefined> {
    try {
      web.scrape.check(url);
      const page = await withFlatPrice(billing, 'augment-scrape', web.pricing.scrape, signal, () =>
        web.scrape.scrape(url, signal),
      );
      return pageCitation(url, page.content);
    } catch (error) {
      // A page's own failure is a 400 from the scrape service; billing refusals (402, 429) and aborts end the request.
      if (error instanceof VeniceError && error.status === 400 && !signal.aborted) return undefined;
      throw error;
    }
  }
}
