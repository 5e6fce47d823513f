import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { listCharactersQuery } from '../../schemas/characters.ts';
import type { ListCharactersResponse } from '../../schemas/characters-response.ts';
import type { CharacterService } from '../../services/character-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** GET /characters: public characters by every filter, sort and page parameter of the swagger. */
export function registerListCharacters(
  app: FastifyInstance,
  characters: CharacterService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/characters', { onRequest: auth }, async (request): Promise<ListCharactersResponse> => {
    const accountId = callerAccount(request);
    const query = parseOrThrow(listCharactersQuery, request.query);
    return { object: 'list', data: await characters.list(query, accountId) };
  });
}
