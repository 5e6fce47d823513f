import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { CharacterReviewTable, CharacterTable, Database } from './database.ts';
import { listCharacterRows } from './kysely-character-list.ts';
import type {
  CharacterPatch,
  CharacterRecord,
  CharacterRepository,
  CharacterReviewRecord,
} from './store.ts';

type Labels = Pick<CharacterRecord, 'tags' | 'categories'>;

function toCharacter(row: Selectable<CharacterTable>, labels: Labels): CharacterRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    author: row.author,
    adult: Number(row.adult) === 1,
    featured: Number(row.featured) === 1,
    webEnabled: Number(row.web_enabled) === 1,
    pro: Number(row.pro) === 1,
    public: Number(row.public) === 1,
    modelId: row.model_id,
    tags: labels.tags,
    categories: labels.categories,
    shareUrl: row.share_url,
    photoUrl: row.photo_url,
    systemPrompt: row.system_prompt,
    imports: Number(row.imports),
    ratingCount: Number(row.rating_count),
    ratingSum: Number(row.rating_sum),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toReview(row: Selectable<CharacterReviewTable>): CharacterReviewRecord {
  return {
    id: row.id,
    characterId: row.character_id,
    accountId: row.account_id,
    username: row.username,
    rating: Number(row.rating),
    message: row.message,
    locale: row.locale,
    userAvatarUrl: row.user_avatar_url,
    createdAt: row.created_at,
  };
}

const COLUMNS = {
  name: 'name',
  description: 'description',
  author: 'author',
  adult: 'adult',
  featured: 'featured',
  webEnabled: 'web_enabled',
  pro: 'pro',
  public: 'public',
  modelId: 'model_id',
  shareUrl: 'share_url',
  photoUrl: 'photo_url',
  systemPrompt: 'system_prompt',
  imports: 'imports',
  ratingCount: 'rating_count',
  ratingSum: 'rating_sum',
} as const satisfies Record<
  Exclude<keyof CharacterPatch, 'tags' | 'categories'>,
  keyof CharacterTable
>;

function toColumns(patch: CharacterPatch): Updateable<CharacterTable> {
  const changes: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(COLUMNS)) {
    const value = patch[field as keyof typeof COLUMNS];
    if (value !== undefined) changes[column] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return changes as Updateable<CharacterTable>;
}

/** Tags and categories of these characters, each list in its stored order. */
async function labelsOf(
  database: Kysely<Database> | Transaction<Database>,
  ids: string[],
): Promise<Map<string, Labels>> {
  const labels = new Map<string, Labels>(ids.map((id) => [id, { tags: [], categories: [] }]));
  if (ids.length === 0) return labels;
  const rows = await database
    .selectFrom('character_labels')
    .selectAll()
    .where('character_id', 'in', ids)
    .orderBy('character_id')
    .orderBy('kind')
    .orderBy('position')
    .execute();
  for (const row of rows)
    labels.get(row.character_id)?.[row.kind === 'tag' ? 'tags' : 'categories'].push(row.term);
  return labels;
}

async function writeLabels(
  transaction: Transaction<Database>,
  characterId: string,
  kind: 'tag' | 'category',
  terms: string[],
): Promise<void> {
  await transaction
    .deleteFrom('character_labels')
    .where('character_id', '=', characterId)
    .where('kind', '=', kind)
    .execute();
  if (terms.length === 0) return;
  await transaction
    .insertInto('character_labels')
    .values(terms.map((term, position) => ({ character_id: characterId, kind, position, term })))
    .execute();
}

async function find(
  database: Kysely<Database> | Transaction<Database>,
  slug: string,
): Promise<CharacterRecord | undefined> {
  const row = await database
    .selectFrom('characters')
    .selectAll()
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : toCharacter(row, (await labelsOf(database, [row.id])).get(row.id)!);
}

/** Characters, written once for both dialects; labels and rating counters change in the transaction that needs them. */
export function kyselyCharacters(database: Kysely<Database>): CharacterRepository {
  return {
    insert: (record) =>
      database.transaction().execute(async (transaction) => {
        const flag = (value: boolean): number => (value ? 1 : 0);
        const inserted = await transaction
          .insertInto('characters')
          .values({
            id: record.id,
            slug: record.slug,
            name: record.name,
            description: record.description,
            author: record.author,
            adult: flag(record.adult),
            featured: flag(record.featured),
            web_enabled: flag(record.webEnabled),
            pro: flag(record.pro),
            public: flag(record.public),
            model_id: record.modelId,
            share_url: record.shareUrl,
            photo_url: record.photoUrl,
            system_prompt: record.systemPrompt,
            imports: record.imports,
            rating_count: record.ratingCount,
            rating_sum: record.ratingSum,
            created_at: record.createdAt,
            updated_at: record.updatedAt,
          })
          .onConflict((conflict) => conflict.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
        await writeLabels(transaction, record.id, 'tag', record.tags);
        await writeLabels(transaction, record.id, 'category', record.categories);
        return true;
      }),
    update: (slug, patch, at) =>
      database.transaction().execute(async (transaction) => {
        const found = await transaction
          .updateTable('characters')
          .set({ ...toColumns(patch), updated_at: at })
          .where('slug', '=', slug)
          .returning('id')
          .executeTakeFirst();
        if (found === undefined) return undefined;
        if (patch.tags !== undefined) await writeLabels(transaction, found.id, 'tag', patch.tags);
        if (patch.categories !== undefined)
          await writeLabels(transaction, found.id, 'category', patch.categories);
        return find(transaction, slug);
      }),
    delete: (slug) =>
      database.transaction().execute(async (transaction) => {
        const found = await transaction
          .deleteFrom('characters')
          .where('slug', '=', slug)
          .returning('id')
          .executeTakeFirst();
        if (found === undefined) return false;
        await transaction
          .deleteFrom('character_labels')
          .where('character_id', '=', found.id)
          .execute();
        await transaction
          .deleteFrom('character_reviews')
          .where('character_id', '=', found.id)
          .execute();
        return true;
      }),
    findBySlug: (slug) => find(database, slug),
    list: async (query) => {
      const rows = await listCharacterRows(database, query);
      const labels = await labelsOf(
        database,
        rows.map((row) => row.id),
      );
      return rows.map((row) => toCharacter(row, labels.get(row.id)!));
    },
    addReview: (review) =>
      database.transaction().execute(async (transaction) => {
        // The counter update doubles as the existence check: no character row, no review.
        const counted = await transaction
          .updateTable('characters')
          .set({
            rating_count: sql`rating_count + 1`,
            rating_sum: sql`rating_sum + ${review.rating}`,
          })
          .where('id', '=', review.characterId)
          .executeTakeFirst();
        if (Number(counted.numUpdatedRows) === 0) return false;
        const inserted = await transaction
          .insertInto('character_reviews')
          .values({
            id: review.id,
            character_id: review.characterId,
            account_id: review.accountId,
            username: review.username,
            rating: review.rating,
            message: review.message,
            locale: review.locale,
            user_avatar_url: review.userAvatarUrl,
            created_at: review.createdAt,
          })
          .onConflict((conflict) => conflict.doNothing())
          .executeTakeFirst();
        // A taken id: undo the count (throwing would roll back too, but false is the contract).
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
          await transaction
            .updateTable('characters')
            .set({
              rating_count: sql`rating_count - 1`,
              rating_sum: sql`rating_sum - ${review.rating}`,
            })
            .where('id', '=', review.characterId)
            .execute();
          return false;
        }
        return true;
      }),
    deleteReview: (characterId, reviewId) =>
      database.transaction().execute(async (transaction) => {
        const deleted = await transaction
          .deleteFrom('character_reviews')
          .where('id', '=', reviewId)
          .where('character_id', '=', characterId)
          .returning('rating')
          .executeTakeFirst();
        if (deleted === undefined) return false;
        await transaction
          .updateTable('characters')
          .set({
            rating_count: sql`rating_count - 1`,
            rating_sum: sql`rating_sum - ${Number(deleted.rating)}`,
          })
          .where('id', '=', characterId)
          .execute();
        return true;
      }),
    listReviews: async (characterId, { offset, limit }) => {
      const rows = await database
        .selectFrom('character_reviews')
        .selectAll()
        .where('character_id', '=', characterId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      const { total } = await database
        .selectFrom('character_reviews')
        .select((builder) => builder.fn.countAll<number>().as('total'))
        .where('character_id', '=', characterId)
        .executeTakeFirstOrThrow();
      return { reviews: rows.map(toReview), total: Number(total) };
    },
    ratingsBy: async (accountId, characterIds) => {
      const ratings = new Map<string, number>();
      if (characterIds.length === 0) return ratings;
      const rows = await database
        .selectFrom('character_reviews')
        .select(['character_id', 'rating'])
        .where('account_id', '=', accountId)
        .where('character_id', 'in', characterIds)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      // Oldest first, so the latest review of each character is the one left in the map.
      for (const row of rows) ratings.set(row.character_id, Number(row.rating));
      return ratings;
    },
  };
}
