import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Meter } from '../../services/billing/meter.ts';
import type { UrlFetcher } from '../../services/media/url-fetcher.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';

export interface ImageRouteDependencies {
  registry: ModelRegistry;
  meter: Meter;
  /** Fetches image URLs that clients give, under config.fetch's rules. */
  fetcher: UrlFetcher;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The image routes: /image/* and the OpenAI-compatible /images/generations. */
export function registerImageRoutes(_app: FastifyInstance, _dependencies: ImageRouteDependencies): void {
}
