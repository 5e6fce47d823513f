import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { webScrapeRequest } from '../../schemas/augment.ts';
import { withFlatPrice } from '../../services/augment/flat-price.ts';
import { abortOnClose } from '../abort-on-close.ts';
import type { AugmentRouteDependencies } from './index.ts';

/** POST /augment/scrape (swagger: WebScrapeRequest → WebScrapeResponse): `{url, content, format: "markdown"}`. */
export function registerScrapeRoute(
  app: FastifyInstance,
  { scrape, auth, pricing }: AugmentRouteDependencies,
): void {
  app.post('/augment/scrape', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(webScrapeRequest, request.body);
    scrape.check(body.url);
    const signal = abortOnClose(request, reply);
    const billing = request.billing;
    return withFlatPrice(billing, 'augment-scrape', pricing.scrape, signal, () =>
      scrape.scrape(body.url, signal),
    );
  });
}
