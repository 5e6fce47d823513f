import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { webSearchRequest } from '../../schemas/augment.ts';
import { withFlatPrice } from '../../services/augment/flat-price.ts';
import { abortOnClose } from '../abort-on-close.ts';
import type { AugmentRouteDependencies } from './index.ts';

/**
 * POST /augment/search (swagger: WebSearchRequest → WebSearchResponse): `{query, results: [{title, url, content,
 * date}]}` from the engine configured for `search_provider`, at `augment.pricing.search` a request.
 */
export function registerSearchRoute(
  app: FastifyInstance,
  { search, auth, pricing }: AugmentRouteDependencies,
): void {
  app.post('/augment/search', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(webSearchRequest, request.body);
    search.check(body.search_provider);
    const signal = abortOnClose(request, reply);
    const billing = request.billing;
    const results = await withFlatPrice(billing, 'augment-search', pricing.search, signal, () =>
      search.search(body.query, body.limit, body.search_provider, signal),
    );
    return { query: body.query, results };
  });
}
