import { z } from 'zod';

// Rialto's own: the bodies of the admin character API and the entries of `rialto characters import` files
// (not in the Venice spec; README "Characters"). Field names follow the spec's Character object.

/** What venice_parameters.character_slug and the `:character_slug=` suffix can carry unescaped, and a URL path too. */
const slug = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    'Expected 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );
// GET /characters splits filter values at commas, so a label with one could never be matched.
const labels = z
  .array(
    z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^,]*$/, 'Commas separate filter values; a tag or category cannot contain one'),
  )
  .max(50);
const count = z.number().int().min(0).max(2_000_000_000);
const timestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString());

const fields = {
  name: z.string().min(1).max(200),
  description: z.string().max(20_000).nullable(),
  /** The persona: sent to the model as a system prompt, never shown by the API. */
  systemPrompt: z.string().min(1).max(200_000),
  modelId: z.string().min(1).max(200),
  author: z.string().min(1).max(100),
  adult: z.boolean(),
  featured: z.boolean(),
  webEnabled: z.boolean(),
  pro: z.boolean(),
  public: z.boolean(),
  tags: labels,
  categories: labels,
  shareUrl: z.url().max(2000).nullable(),
  photoUrl: z.url().max(2000).nullable(),
  /** Counters to start from (e.g. a catalog imported from elsewhere); reviews added later move the rating ones. */
  stats: z.strictObject({ imports: count, ratingCount: count, ratingSum: count }).partial(),
};

/** A new character (POST /characters, and each entry of an import file): slug, name, systemPrompt and modelId are required. */
export const characterInput = z.strictObject({
  slug,
  id: z.uuid().optional(),
  createdAt: timestamp.optional(),
  name: fields.name,
  systemPrompt: fields.systemPrompt,
  modelId: fields.modelId,
  description: fields.description.default(null),
  author: fields.author.default('rialto'),
  adult: fields.adult.default(false),
  featured: fields.featured.default(false),
  webEnabled: fields.webEnabled.default(false),
  pro: fields.pro.default(false),
  public: fields.public.default(true),
  tags: fields.tags.default([]),
  categories: fields.categories.default([]),
  shareUrl: fields.shareUrl.default(null),
  photoUrl: fields.photoUrl.default(null),
  stats: fields.stats.optional(),
});
export type CharacterInput = z.infer<typeof characterInput>;

/** PATCH /characters/{slug}: the fields given change; the slug and id do not. */
export const characterUpdate = z
  .strictObject(fields)
  .partial()
  .refine((update) => Object.keys(update).length > 0, 'Give at least one field to change');
export type CharacterUpdate = z.infer<typeof characterUpdate>;

/** An import file: a list of characters, or `{ characters: [...] }`; each slug once. */
export const characterImportFile = z
  .preprocess(
    // Unwrapped before validation, so each bad field is named (a union would only say "Invalid input").
    (file) =>
      typeof file === 'object' &&
      file !== null &&
      !Array.isArray(file) &&
      Object.keys(file).length === 1 &&
      'characters' in file
        ? file.characters
        : file,
    z.array(characterInput),
  )
  .superRefine((characters, context) => {
    const seen = new Set<string>();
    characters.forEach((character, index) => {
      if (seen.has(character.slug))
        context.addIssue({
          code: 'custom',
          path: [index, 'slug'],
          message: `slug ${character.slug} appears twice`,
        });
      seen.add(character.slug);
    });
  });

/** POST /characters/{slug}/reviews: `accountId` is the Rialto account that wrote it (its keys see isOwner, userRating). */
export const reviewInput = z.strictObject({
  id: z.uuid().optional(),
  username: z.string().min(1).max(100),
  rating: z.number().int().min(1).max(5),
  message: z.string().max(20_000).nullable().default(null),
  locale: z.string().min(1).max(35).nullable().default(null),
  userAvatarUrl: z.url().max(2000).nullable().default(null),
  accountId: z.string().min(1).max(200).nullable().default(null),
  createdAt: timestamp.optional(),
});
export type ReviewInput = z.infer<typeof reviewInput>;

export const reviewParams = z.strictObject({ slug: z.string(), id: z.string() });
