import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { ContentSafetyConfig } from '../../config.ts';
import type { Meter } from '../../services/billing/meter.ts';
import type { UrlFetcher } from '../../services/media/url-fetcher.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import { registerBackgroundRemoveRoute } from './background-remove.ts';
import { registerGenerationRoutes } from './generate.ts';
import { registerEditRoute } from './edit.ts';
import { registerMultiEditRoute } from './multi-edit.ts';
import { registerUpscaleRoute } from './upscale.ts';

export interface ImageRouteDependencies {
  registry: ModelRegistry;
  meter: Meter;
  /** Fetches image URLs that clients give, under config.fetch's rules. */
  fetcher: UrlFetcher;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
  /** Safe Mode's classifier and threshold (config.contentSafety). */
  contentSafety: ContentSafetyConfig;
}

/** The image routes: /image/* and the OpenAI-compatible /images/generations. */
export function registerImageRoutes(app: FastifyInstance, dependencies: ImageRouteDependencies): void {
  registerBackgroundRemoveRoute(app, dependencies);
  registerEditRoute(app, dependencies);
  registerMultiEditRoute(app, dependencies);
  registerUpscaleRoute(app, dependencies);
  registerGenerationRoutes(app, dependencies);
}
