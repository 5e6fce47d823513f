import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { characterReviewsQuery, slugParams } from '../../schemas/characters.ts';
import type { CharacterService } from '../../services/character-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** GET /characters/{slug}/reviews: a page of reviews; the pagination is in the body and in x-pagination-* headers. */
export function registerCharacterReviews(
  app: FastifyInstance,
  characters: CharacterService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/characters/:slug/reviews', { onRequest: auth }, async (request, reply) => {
    const accountId = callerAccount(request);
    const { slug } = parseOrThrow(slugParams, request.params);
    const query = parseOrThrow(characterReviewsQuery, request.query);
    const { body, pagination } = await characters.reviews(slug, query, accountId);
    reply.headers({
      'x-pagination-limit': String(pagination.pageSize),
      'x-pagination-page': String(pagination.page),
      'x-pagination-total': String(pagination.total),
      'x-pagination-total-pages': String(pagination.totalPages),
    });
    return body;
  });
}
