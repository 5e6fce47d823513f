import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../http/auth.ts';
import type { CharacterService } from '../../services/character-service.ts';
import type { KeyService } from '../../services/key-service.ts';
import { registerCharacterAdmin } from './character-admin.ts';
import { registerCharacterReviews } from './character-reviews.ts';
import { registerGetCharacter } from './get-character.ts';
import { registerListCharacters } from './list-characters.ts';
import { registerReviewAdmin } from './review-admin.ts';

/**
 * GET /characters, /characters/{slug}, /characters/{slug}/reviews (swagger; any key, Bearer only: characters take
 * no x402), and Rialto's own admin API beside them: POST /characters, PATCH and DELETE /characters/{slug},
 * POST /characters/{slug}/reviews, DELETE /characters/{slug}/reviews/{id} (ADMIN keys).
 */
export function registerCharacterRoutes(
  app: FastifyInstance,
  characters: CharacterService,
  keys: KeyService,
): void {
  const anyKey = requireKey(keys);
  const admin = requireKey(keys, { admin: true });
  registerListCharacters(app, characters, anyKey);
  registerGetCharacter(app, characters, anyKey);
  registerCharacterReviews(app, characters, anyKey);
  registerCharacterAdmin(app, characters, admin);
  registerReviewAdmin(app, characters, admin);
}
