import type { SearchEngineConfig } from '../../config.ts';
import type { SearchEngine, SearchHit } from '../../engines/engine.ts';
import { EngineError } from '../../engines/engine-error.ts';
import { BraveSearchEngine } from '../../engines/search/brave-search-engine.ts';
import { SearxngSearchEngine } from '../../engines/search/searxng-search-engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';

export type SearchProvider = 'brave' | 'google';

/** A search engine's failure as the client sees it: the engine's own words stay in the log. */
function searchError(error: EngineError): VeniceError {
  switch (error.failure) {
    case 'overloaded':
      return new VeniceError('MODEL_OVERLOADED', {
        message: 'The search engine is busy. Please try again later.',
        cause: error,
      });
    // swagger: /augment/search documents 429 and 500, no 503 or 504.
    case 'timeout':
      return new VeniceError('INFERENCE_FAILED', {
        message: 'The search engine did not answer in time.',
        cause: error,
      });
    case 'offline':
    case 'capacity':
      return new VeniceError('INFERENCE_FAILED', {
        message: 'The search engine cannot be reached. Please try again later.',
        cause: error,
      });
    default:
      return new VeniceError('INFERENCE_FAILED', { message: 'The search failed.', cause: error });
  }
}

export function createSearchEngine(config: SearchEngineConfig): SearchEngine {
  return config.kind === 'searxng'
    ? new SearxngSearchEngine(config)
    : new BraveSearchEngine(config);
}

/**
 * Web search on the operator's engines (config augment.search), for /augment/search and chat's web search:
 * `search_provider` picks the engine configured for it; without one, brave's, else the first. A provider
 * with no engine here is a 400 naming what is configured.
 */
export class WebSearchService {
  private readonly engines: { provider: SearchProvider; engine: SearchEngine }[];

  constructor(configs: SearchEngineConfig[]) {
    this.engines = configs.map((config) => ({
      provider: config.provider,
      engine: createSearchEngine(config),
    }));
  }

  get configured(): boolean {
    return this.engines.length > 0;
  }

  private engineFor(provider: SearchProvider | undefined): SearchEngine {
    const found =
      this.engines.find((candidate) => candidate.provider === (provider ?? 'brave')) ??
      (provider === undefined ? this.engines[0] : undefined);
    if (found !== undefined) return found.engine;
    const offered = [...new Set(this.engines.map((candidate) => candidate.provider))];
    const message =
      offered.length === 0
        ? 'Web search is not available: no search engine is configured on this server (augment.search).'
        : `search_provider ${provider} is not available on this server; it offers ${offered.join(', ')}.`;
    throw new VeniceError('INVALID_REQUEST', {
      message,
      extra: { details: { search_provider: { _errors: [message] } } },
    });
  }

  /** Fails before any billing when the provider has no engine. */
  check(provider: SearchProvider | undefined): void {
    this.engineFor(provider);
  }

  /** Hits for `query`, at most `limit`; engine failures become Venice errors (429, 503, 504, 500). */
  async search(
    query: string,
    limit: number,
    provider: SearchProvider | undefined,
    signal: AbortSignal,
  ): Promise<SearchHit[]> {
    try {
      return await this.engineFor(provider).search(query, limit, { signal });
    } catch (error) {
      throw error instanceof EngineError ? searchError(error) : error;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map(({ engine }) => engine.close()));
  }
}
