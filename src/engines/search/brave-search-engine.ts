import { z } from 'zod';
import type { EngineCall, SearchEngine, SearchHit } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { getSearchJson, stringOr } from './search-request.ts';

/** Brave Search API's WebSearchApiResponse, the fields read (api-dashboard.search.brave.com, web search). */
const answer = z
  .object({
    web: z
      .object({
        results: z.array(
          z
            .object({
              url: z.string(),
              title: z.unknown().optional(),
              description: z.unknown().optional(),
              page_age: z.unknown().optional(),
              age: z.unknown().optional(),
            })
            .loose(),
        ),
      })
      .loose()
      .optional(),
  })
  .loose();

/**
 * The Brave Search API (GET /web/search with the X-Subscription-Token header; `count` at most 20). Its
 * descriptions keep their <strong> highlights, as Venice's answers do; the date is `page_age`, else `age`.
 */
export class BraveSearchEngine implements SearchEngine {
  readonly kind = 'brave';

  constructor(private readonly config: { url: string; apiKey: string; timeoutMs: number }) {}

  async search(query: string, limit: number, call: EngineCall): Promise<SearchHit[]> {
    const url = new URL(`${this.config.url.replace(/\/+$/, '')}/web/search`);
    url.searchParams.set('q', query);
    url.searchParams.set('count', String(Math.min(20, limit)));
    const parsed = answer.safeParse(
      await getSearchJson(
        url,
        { 'x-subscription-token': this.config.apiKey },
        this.config.timeoutMs,
        call,
        'Brave Search',
      ),
    );
    if (!parsed.success)
      throw new EngineError('failed', 'Brave Search answered JSON of another shape', {
        retryable: false,
      });
    return (parsed.data.web?.results ?? []).slice(0, limit).map((result) => ({
      title: stringOr(result.title),
      url: result.url,
      content: stringOr(result.description),
      date: stringOr(result.page_age, stringOr(result.age)),
    }));
  }

  async close(): Promise<void> {}
}
