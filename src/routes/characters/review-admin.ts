import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { reviewInput, reviewParams } from '../../schemas/character-admin.ts';
import { slugParams } from '../../schemas/characters.ts';
import type { CharacterService } from '../../services/character-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** Rialto's own (not in the Venice spec): ADMIN keys add and delete reviews; each moves the character's rating stats. */
export function registerReviewAdmin(
  app: FastifyInstance,
  characters: CharacterService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/characters/:slug/reviews', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const { slug } = parseOrThrow(slugParams, request.params);
    const body = parseOrThrow(reviewInput, request.body);
    return { object: 'review', data: await characters.addReview(slug, body, accountId) };
  });

  app.delete('/characters/:slug/reviews/:id', { onRequest: auth }, async (request) => {
    const { slug, id } = parseOrThrow(reviewParams, request.params);
    await characters.deleteReview(slug, id);
    return { success: true };
  });
}
