import type { Character, CharacterReview } from '../schemas/characters-response.ts';
import type { CharacterRecord, CharacterReviewRecord } from '../storage/store.ts';

/** The mean rating, to one decimal as in the swagger's example (113 / 24 → 4.7); 0 before any rating. */
export function averageRatingOf(
  record: Pick<CharacterRecord, 'ratingCount' | 'ratingSum'>,
): number {
  return record.ratingCount === 0
    ? 0
    : Math.round((record.ratingSum / record.ratingCount) * 10) / 10;
}

/** swagger: the Character of listCharacters / getCharacterBySlug: its 15 fields and nothing else (never the persona). */
export function characterView(record: CharacterRecord, userRating: number | null): Character {
  return {
    id: record.id,
    slug: record.slug,
    name: record.name,
    description: record.description,
    author: record.author,
    adult: record.adult,
    featured: record.featured,
    webEnabled: record.webEnabled,
    modelId: record.modelId,
    tags: record.tags,
    shareUrl: record.shareUrl,
    photoUrl: record.photoUrl,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    stats: {
      averageRating: averageRatingOf(record),
      imports: record.imports,
      ratingCount: record.ratingCount,
      ratingSum: record.ratingSum,
      userRating,
    },
  };
}

/** swagger: getCharacterReviews item; `isOwner` when the caller's account wrote it. */
export function reviewView(review: CharacterReviewRecord, accountId: string): CharacterReview {
  return {
    id: review.id,
    characterId: review.characterId,
    createdAt: review.createdAt,
    isOwner: review.accountId === accountId,
    locale: review.locale,
    message: review.message,
    rating: review.rating,
    userAvatarUrl: review.userAvatarUrl,
    username: review.username,
  };
}
