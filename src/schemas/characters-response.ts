import { z } from 'zod';

// What Rialto writes of the swagger's character answers (listCharacters, getCharacterBySlug, getCharacterReviews).

/** swagger: the Character of listCharacters / getCharacterBySlug: its 15 fields and nothing else (never the persona). */
export const character = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  author: z.string(),
  adult: z.boolean(),
  featured: z.boolean(),
  webEnabled: z.boolean(),
  modelId: z.string(),
  tags: z.array(z.string()),
  shareUrl: z.string().nullable(),
  photoUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  stats: z.object({
    averageRating: z.number(),
    imports: z.number(),
    ratingCount: z.number(),
    ratingSum: z.number(),
    userRating: z.number().nullable(),
  }),
});

/** swagger: an item of getCharacterReviews. */
export const characterReview = z.object({
  id: z.string(),
  characterId: z.string(),
  createdAt: z.string(),
  isOwner: z.boolean(),
  locale: z.string().nullable(),
  message: z.string().nullable(),
  rating: z.number().int(),
  userAvatarUrl: z.string().nullable(),
  username: z.string(),
});

/** swagger: the 200 of GET /characters (listCharacters). */
export const listCharactersResponse = z.object({
  object: z.literal('list'),
  data: z.array(character),
});

/** swagger: the 200 of GET /characters/{slug} (getCharacterBySlug). */
export const characterResponse = z.object({ object: z.literal('character'), data: character });

/** swagger: the 200 of GET /characters/{slug}/reviews (getCharacterReviews). */
export const characterReviewsResponse = z.object({
  object: z.literal('list'),
  data: z.array(characterReview),
  pagination: z.object({
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
    totalPages: z.number().int(),
  }),
  summary: z.object({ averageRating: z.number(), totalReviews: z.number().int() }),
});

export type Character = z.infer<typeof character>;
export type CharacterReview = z.infer<typeof characterReview>;
export type ListCharactersResponse = z.infer<typeof listCharactersResponse>;
export type CharacterResponse = z.infer<typeof characterResponse>;
export type CharacterReviewsResponse = z.infer<typeof characterReviewsResponse>;
