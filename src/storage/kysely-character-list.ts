import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { CharacterTable, Database } from './database.ts';
import type { CharacterQuery, CharacterSort } from './store.ts';

type CharacterSelect = SelectQueryBuilder<Database, 'characters', CharacterTable>;
type Builder = ExpressionBuilder<Database, 'characters'>;

// highlyRated: the mean rating pulled towards 3 stars by 5 imaginary ratings (a Bayesian average), so one 5-star
// rating does not outrank forty 4.8-star ones. The spec names the modes only.
const PRIOR_COUNT = 5;
const PRIOR_MEAN = 3;

const averageRating = sql<number>`case when rating_count = 0 then 0 else rating_sum * 1.0 / rating_count end`;
const weightedRating = sql<number>`(rating_sum + ${sql.lit(PRIOR_COUNT * PRIOR_MEAN)}) * 1.0 / (rating_count + ${sql.lit(PRIOR_COUNT)})`;

/** The sort keys of each mode, most significant first (swagger: listCharacters sortBy). */
function sortKeys(sortBy: CharacterSort, recentSince: string): Expression<unknown>[] {
  switch (sortBy) {
    case 'featured':
      return [sql`featured`, sql`imports`];
    case 'highestRating':
      return [averageRating, sql`rating_count`];
    case 'highlyRated':
      return [weightedRating];
    case 'highlyRatedAndRecent':
      return [sql`case when created_at >= ${recentSince} then 1 else 0 end`, weightedRating];
    case 'imports':
      return [sql`imports`];
    case 'mostRecent':
      return [sql`created_at`];
    case 'ratingCount':
      return [sql`rating_count`];
  }
}

/** LIKE's wildcards taken literally (with `escape '\'`, the same in both dialects). */
function containing(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** The character has a label of `kind` for which `condition` holds. */
function hasLabel(
  builder: Builder,
  kind: 'tag' | 'category',
  condition: (term: Expression<string>) => Expression<SqlBool>,
): Expression<SqlBool> {
  return builder.exists(
    builder
      .selectFrom('character_labels')
      .select('character_labels.character_id')
      .whereRef('character_labels.character_id', '=', 'characters.id')
      .where('character_labels.kind', '=', kind)
      .where((inner) => condition(inner.fn<string>('lower', ['character_labels.term']))),
  );
}

function lowered(values: string[]): string[] {
  return values.map((value) => value.toLowerCase());
}

function filtered(query: CharacterSelect, filter: CharacterQuery): CharacterSelect {
  let result = query;
  if (filter.publicOnly) result = result.where('public', '=', 1);
  for (const [column, value] of [
    ['adult', filter.adult],
    ['pro', filter.pro],
    ['web_enabled', filter.webEnabled],
  ] as const) {
    if (value !== undefined) result = result.where(column, '=', value ? 1 : 0);
  }
  if (filter.modelIds !== undefined && filter.modelIds.length > 0)
    result = result.where('model_id', 'in', filter.modelIds);
  for (const [kind, values] of [
    ['tag', filter.tags],
    ['category', filter.categories],
  ] as const) {
    if (values !== undefined && values.length > 0)
      result = result.where((builder) =>
        hasLabel(builder, kind, (term) => builder(term, 'in', lowered(values))),
      );
  }
  for (const hashtag of filter.hashtags ?? [])
    result = result.where((builder) =>
      hasLabel(builder, 'tag', (term) => builder(term, '=', hashtag.toLowerCase())),
    );
  if (filter.text !== undefined && filter.text !== '') {
    const pattern = containing(filter.text);
    const like = (expression: Expression<string>): Expression<SqlBool> =>
      sql<SqlBool>`${expression} like ${pattern} escape '\\'`;
    result = result.where((builder) =>
      builder.or([
        like(builder.fn<string>('lower', ['name'])),
        like(builder.fn<string>('lower', [builder.fn.coalesce('description', sql.lit(''))])),
        hasLabel(builder, 'tag', like),
      ]),
    );
  }
  return result;
}

/** One page of GET /characters, in order: the filters, the mode's keys in `sortOrder`, then slug. */
export function listCharacterRows(
  database: Kysely<Database>,
  query: CharacterQuery,
): Promise<Selectable<CharacterTable>[]> {
  let select = filtered(database.selectFrom('characters').selectAll(), query);
  for (const key of sortKeys(query.sortBy, query.recentSince))
    select = select.orderBy(key, query.sortOrder);
  return select.orderBy('slug').limit(query.limit).offset(query.offset).execute();
}
