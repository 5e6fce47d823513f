import { z } from 'zod';
import type { EngineCall, SearchEngine, SearchHit } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { getSearchJson, stringOr } from './search-request.ts';

/** SearxNG's /search?format=json answer (searx/webapp.py, search results as JSON), the fields read. */
const answer = z
  .object({
    results: z.array(
      z
        .object({
          url: z.string(),
          title: z.unknown().optional(),
          content: z.unknown().optional(),
          publishedDate: z.unknown().optional(),
        })
        .loose(),
    ),
  })
  .loose();

/**
 * A SearxNG instance (settings.yml must list `json` under search.formats; else it answers 403). Pages of about
 * ten results are read until `limit` hits are had or a page comes back empty; duplicate URLs are dropped.
 */
export class SearxngSearchEngine implements SearchEngine {
  readonly kind = 'searxng';

  constructor(
    private readonly config: {
      url: string;
      engines?: string | undefined;
      language?: string | undefined;
      timeoutMs: number;
    },
  ) {}

  async search(query: string, limit: number, call: EngineCall): Promise<SearchHit[]> {
    const hits: SearchHit[] = [];
    const seen = new Set<string>();
    for (let page = 1; page <= 3 && hits.length < limit; page++) {
      const url = new URL(`${this.config.url.replace(/\/+$/, '')}/search`);
      url.searchParams.set('q', query);
      url.searchParams.set('format', 'json');
      url.searchParams.set('pageno', String(page));
      if (this.config.engines !== undefined) url.searchParams.set('engines', this.config.engines);
      if (this.config.language !== undefined)
        url.searchParams.set('language', this.config.language);
      const parsed = answer.safeParse(
        await getSearchJson(url, {}, this.config.timeoutMs, call, 'SearxNG'),
      );
      if (!parsed.success)
        throw new EngineError('failed', 'SearxNG answered JSON without a results list', {
          retryable: false,
        });
      const fresh = parsed.data.results.filter((result) => !seen.has(result.url));
      if (fresh.length === 0) break;
      for (const result of fresh) {
        seen.add(result.url);
        hits.push({
          title: stringOr(result.title),
          url: result.url,
          content: stringOr(result.content),
          date: stringOr(result.publishedDate),
        });
      }
    }
    return hits.slice(0, limit);
  }

  async close(): Promise<void> {}
}
