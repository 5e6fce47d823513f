import { z } from 'zod';

// swagger: listCharacters and getCharacterReviews query parameters (INVENTORY §1 rows 22–24, §8).

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
// swagger: offset and page have no maximum; past 999,999,999 every list is past its end, so larger ones read the same.
const integer = z
  .string()
  .regex(/^\d+$/, 'Expected an integer')
  .transform((digits) => Math.min(Number(digits), 999_999_999));

/** Repeated (`tags=a&tags=b`) or comma-separated (`tags=a,b`) values, each at most `maxLength` long, at most 20. */
function valueList(maxLength: number) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((part) => part.split(','))
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(z.string().max(maxLength)).max(20));
}

/** `tags[]=a` (how many clients write arrays) reads as `tags=a`. */
function withoutArrayBrackets(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const name = key.endsWith('[]') ? key.slice(0, -2) : key;
    const previous = merged[name];
    merged[name] = previous === undefined ? value : [previous, value].flat();
  }
  return merged;
}

export const SORT_MODES = [
  'featured',
  'highestRating',
  'highlyRated',
  'highlyRatedAndRecent',
  'imports',
  'mostRecent',
  'ratingCount',
] as const;

export const listCharactersQuery = z.preprocess(
  withoutArrayBrackets,
  z.strictObject({
    categories: valueList(100).optional(),
    tags: valueList(100).optional(),
    modelId: valueList(200).optional(),
    isAdult: flag.optional(),
    isPro: flag.optional(),
    isWebEnabled: flag.optional(),
    limit: integer.pipe(z.number().int().min(1).max(100)).default(50),
    // swagger: nullable, default 0; a query string's null is an empty value or the word.
    offset: z.union([z.enum(['', 'null']).transform(() => 0), integer]).default(0),
    search: z.string().max(200).optional(),
    sortBy: z.enum(SORT_MODES).optional(),
    sortOrder: z.enum(['asc', 'desc']).default('desc'),
  }),
);
export type ListCharactersQuery = z.infer<typeof listCharactersQuery>;

export const characterReviewsQuery = z.strictObject({
  page: integer.pipe(z.number().int().min(1)).default(1),
  pageSize: integer.pipe(z.number().int().min(1).max(100)).default(20),
});
export type CharacterReviewsQuery = z.infer<typeof characterReviewsQuery>;

// Any slug: one that names no character is a 404, the only error the swagger documents for it.
export const slugParams = z.strictObject({ slug: z.string() });
