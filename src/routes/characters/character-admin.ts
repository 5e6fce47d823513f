import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { characterInput, characterUpdate } from '../../schemas/character-admin.ts';
import { slugParams } from '../../schemas/characters.ts';
import type { CharacterService } from '../../services/character-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/** Rialto's own (not in the Venice spec): ADMIN keys create, change and delete characters, public or not. */
export function registerCharacterAdmin(
  app: FastifyInstance,
  characters: CharacterService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/characters', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const body = parseOrThrow(characterInput, request.body);
    return { object: 'character', data: await characters.create(body, accountId) };
  });

  app.patch('/characters/:slug', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const { slug } = parseOrThrow(slugParams, request.params);
    const body = parseOrThrow(characterUpdate, request.body);
    return { object: 'character', data: await characters.update(slug, body, accountId) };
  });

  app.delete('/characters/:slug', { onRequest: auth }, async (request) => {
    const { slug } = parseOrThrow(slugParams, request.params);
    await characters.delete(slug);
    return { success: true };
  });
}
