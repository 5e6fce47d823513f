import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { AugmentConfig } from '../../config.ts';
import type { WebScrapeService } from '../../services/augment/web-scrape-service.ts';
import type { WebSearchService } from '../../services/augment/web-search-service.ts';
import type { ParserPool } from '../../services/parsers/parser-pool.ts';
import { registerScrapeRoute } from './scrape.ts';
import { registerSearchRoute } from './search.ts';
import { registerTextParserRoute } from './text-parser.ts';

export interface AugmentRouteDependencies {
  search: WebSearchService;
  scrape: WebScrapeService;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
  /** Per request (augment.pricing). */
  pricing: AugmentConfig['pricing'];
  /** Documents' text, off the event loop. */
  parsers: ParserPool;
}

/** The /augment routes: web search, scraping and document text. */
export function registerAugmentRoutes(
  app: FastifyInstance,
  dependencies: AugmentRouteDependencies,
): void {
  registerSearchRoute(app, dependencies);
  registerScrapeRoute(app, dependencies);
  registerTextParserRoute(app, {
    auth: dependencies.auth,
    price: dependencies.pricing.textParser,
    parsers: dependencies.parsers,
  });
}
