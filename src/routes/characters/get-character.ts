import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { slugParams } from '../../schemas/characters.ts';
import type { CharacterResponse } from '../../schemas/characters-response.ts';
import type { CharacterService } from '../../services/character-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** GET /characters/{slug}: one public character; 404 CHARACTER_NOT_FOUND otherwise. */
export function registerGetCharacter(
  app: FastifyInstance,
  characters: CharacterService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/characters/:slug', { onRequest: auth }, async (request): Promise<CharacterResponse> => {
    const accountId = callerAccount(request);
    const { slug } = parseOrThrow(slugParams, request.params);
    return { object: 'character', data: await characters.get(slug, accountId) };
  });
}
