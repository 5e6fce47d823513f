import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  CharacterQuery,
  CharacterRecord,
  CharacterReviewRecord,
  Store,
} from '../../src/storage/store.ts';
import type { WithStore } from './store-contract.ts';

const at = (day: number): string => new Date(Date.UTC(2026, 0, day)).toISOString();

function character(slug: string, overrides: Partial<CharacterRecord> = {}): CharacterRecord {
  return {
    id: `id-${slug}`,
    slug,
    name: `Name ${slug}`,
    description: null,
    author: 'op',
    adult: false,
    featured: false,
    webEnabled: false,
    pro: false,
    public: true,
    modelId: 'model-a',
    tags: [],
    categories: [],
    shareUrl: null,
    photoUrl: null,
    systemPrompt: `You are ${slug}.`,
    imports: 0,
    ratingCount: 0,
    ratingSum: 0,
    createdAt: at(1),
    updatedAt: at(1),
    ...overrides,
  };
}

function review(
  id: string,
  characterId: string,
  overrides: Partial<CharacterReviewRecord> = {},
): CharacterReviewRecord {
  return {
    id,
    characterId,
    accountId: null,
    username: 'user',
    rating: 5,
    message: null,
    locale: null,
    userAvatarUrl: null,
    createdAt: at(2),
    ...overrides,
  };
}

function query(overrides: Partial<CharacterQuery> = {}): CharacterQuery {
  return {
    publicOnly: false,
    sortBy: 'mostRecent',
    sortOrder: 'asc',
    recentSince: at(10),
    offset: 0,
    limit: 100,
    ...overrides,
  };
}

async function slugs(store: Store, overrides: Partial<CharacterQuery>): Promise<string[]> {
  return (await store.characters.list(query(overrides))).map((found) => found.slug);
}

async function insertAll(store: Store, records: CharacterRecord[]): Promise<void> {
  for (const record of records) assert.equal(await store.characters.insert(record), true);
}

/** store.ts CharacterRepository: records with their labels, every filter and sort mode of GET /characters in SQL, reviews. */
export function charactersContract(withStore: WithStore): void {
  describe('characters', () => {
    it('round-trips a character with its tags and categories in order; a taken slug or id writes nothing', () =>
      withStore(async (store) => {
        const alan = character('alan', {
          description: 'd',
          adult: true,
          featured: true,
          webEnabled: true,
          pro: true,
          public: false,
          tags: ['Zen', 'Alpha', 'mid'],
          categories: ['philosophy', 'roleplay'],
          shareUrl: 'https://s/alan',
          photoUrl: 'https://p/alan',
          imports: 7,
          ratingCount: 2,
          ratingSum: 9,
        });
        assert.equal(await store.characters.insert(alan), true);
        assert.deepEqual(await store.characters.findBySlug('alan'), alan);
        assert.equal(await store.characters.insert(character('alan', { id: 'other' })), false);
        assert.equal(
          await store.characters.insert(character('other', { id: 'id-alan', tags: ['x'] })),
          false,
        );
        assert.equal(await store.characters.findBySlug('other'), undefined);
        assert.deepEqual((await store.characters.findBySlug('alan'))?.tags, [
          'Zen',
          'Alpha',
          'mid',
        ]);
      }));

    it('updates the fields given, replaces labels whole and stamps updatedAt; unknown slugs are undefined', () =>
      withStore(async (store) => {
        await insertAll(store, [character('alan', { tags: ['a', 'b'], categories: ['c'] })]);
        const updated = await store.characters.update(
          'alan',
          { name: 'Alan Watts', public: false, tags: ['b2'], description: 'new', imports: 3 },
          at(5),
        );
        assert.deepEqual(updated, {
          ...character('alan', { categories: ['c'] }),
          name: 'Alan Watts',
          public: false,
          tags: ['b2'],
          description: 'new',
          imports: 3,
          updatedAt: at(5),
        });
        assert.deepEqual(
          (await store.characters.update('alan', { categories: [] }, at(6)))?.categories,
          [],
        );
        assert.equal(await store.characters.update('nobody', { name: 'x' }, at(6)), undefined);
      }));

    it('deletes a character with its reviews; a second delete is false', () =>
      withStore(async (store) => {
        await insertAll(store, [character('alan', { tags: ['a'] })]);
        assert.equal(await store.characters.addReview(review('r1', 'id-alan')), true);
        assert.equal(await store.characters.delete('alan'), true);
        assert.equal(await store.characters.delete('alan'), false);
        assert.equal(await store.characters.findBySlug('alan'), undefined);
        assert.equal(
          (await store.characters.listReviews('id-alan', { offset: 0, limit: 10 })).total,
          0,
        );
        // The slug and id are free again, with none of the old labels.
        await insertAll(store, [character('alan')]);
        assert.deepEqual((await store.characters.findBySlug('alan'))?.tags, []);
      }));

    it('filters by visibility, flags and model ids', () =>
      withStore(async (store) => {
        await insertAll(store, [
          character('a', { adult: true, modelId: 'm1', createdAt: at(1) }),
          character('b', { pro: true, modelId: 'm2', createdAt: at(2) }),
          character('c', { webEnabled: true, public: false, modelId: 'm3', createdAt: at(3) }),
          character('d', { createdAt: at(4), modelId: 'm1' }),
        ]);
        assert.deepEqual(await slugs(store, {}), ['a', 'b', 'c', 'd']);
        assert.deepEqual(await slugs(store, { publicOnly: true }), ['a', 'b', 'd']);
        assert.deepEqual(await slugs(store, { adult: true }), ['a']);
        assert.deepEqual(await slugs(store, { adult: false }), ['b', 'c', 'd']);
        assert.deepEqual(await slugs(store, { pro: true }), ['b']);
        assert.deepEqual(await slugs(store, { webEnabled: true }), ['c']);
        assert.deepEqual(await slugs(store, { webEnabled: false, publicOnly: true }), [
          'a',
          'b',
          'd',
        ]);
        assert.deepEqual(await slugs(store, { modelIds: ['m1', 'm3'] }), ['a', 'c', 'd']);
        assert.deepEqual(await slugs(store, { modelIds: ['M1'] }), []);
        assert.deepEqual(await slugs(store, { modelIds: ['m1'], adult: false }), ['d']);
      }));

    it('filters by any of several tags or categories, case-insensitively', () =>
      withStore(async (store) => {
        await insertAll(store, [
          character('a', {
            tags: ['Philosophy', 'Zen'],
            categories: ['roleplay'],
            createdAt: at(1),
          }),
          character('b', { tags: ['zen'], categories: ['Assistant'], createdAt: at(2) }),
          character('c', {
            tags: ['Coding'],
            categories: ['assistant', 'roleplay'],
            createdAt: at(3),
          }),
        ]);
        assert.deepEqual(await slugs(store, { tags: ['ZEN'] }), ['a', 'b']);
        assert.deepEqual(await slugs(store, { tags: ['philosophy', 'coding'] }), ['a', 'c']);
        assert.deepEqual(await slugs(store, { tags: ['phil'] }), []);
        assert.deepEqual(await slugs(store, { categories: ['assistant'] }), ['b', 'c']);
        assert.deepEqual(await slugs(store, { categories: ['roleplay'], tags: ['zen'] }), ['a']);
        // A tag is not a category.
        assert.deepEqual(await slugs(store, { categories: ['zen'] }), []);
      }));

    it('searches name, description and tags as text, and #hashtags as whole tags', () =>
      withStore(async (store) => {
        await insertAll(store, [
          character('a', {
            name: 'Alan Watts',
            description: 'A philosophical entertainer',
            tags: ['Zen'],
            createdAt: at(1),
          }),
          character('b', {
            name: 'Coder',
            description: null,
            tags: ['Philosophy', 'code'],
            createdAt: at(2),
          }),
          character('c', {
            name: '100% Helper',
            description: 'under_score',
            tags: [],
            createdAt: at(3),
          }),
        ]);
        assert.deepEqual(await slugs(store, { text: 'WATTS' }), ['a']);
        assert.deepEqual(await slugs(store, { text: 'philosoph' }), ['a', 'b']);
        assert.deepEqual(await slugs(store, { text: 'zen' }), ['a']);
        // LIKE's wildcards are plain characters.
        assert.deepEqual(await slugs(store, { text: '100%' }), ['c']);
        assert.deepEqual(await slugs(store, { text: '%' }), ['c']);
        assert.deepEqual(await slugs(store, { text: 'a_t' }), []);
        assert.deepEqual(await slugs(store, { text: 'under_' }), ['c']);
        assert.deepEqual(await slugs(store, { hashtags: ['philosophy'] }), ['b']);
        assert.deepEqual(await slugs(store, { hashtags: ['philosophy', 'CODE'] }), ['b']);
        assert.deepEqual(await slugs(store, { hashtags: ['philosophy', 'zen'] }), []);
        assert.deepEqual(await slugs(store, { hashtags: ['zen'], text: 'alan' }), ['a']);
        assert.deepEqual(await slugs(store, { hashtags: ['zen'], text: 'coder' }), []);
      }));

    it('sorts by each mode, in either order, ties by slug', () =>
      withStore(async (store) => {
        await insertAll(store, [
          // average 5 from one rating; weighted (5+15)/6 = 3.33
          character('one-five', { ratingCount: 1, ratingSum: 5, imports: 10, createdAt: at(1) }),
          // average 4.8 from forty; weighted (192+15)/45 = 4.6
          character('many', {
            ratingCount: 40,
            ratingSum: 192,
            imports: 5,
            featured: true,
            createdAt: at(2),
          }),
          // average 4 from ten; weighted (40+15)/15 = 3.67; recent
          character('recent', { ratingCount: 10, ratingSum: 40, imports: 1, createdAt: at(12) }),
          // no ratings: average 0, weighted 3; featured with more imports
          character('none', { imports: 20, featured: true, createdAt: at(11) }),
          character('tie', { imports: 20, featured: true, createdAt: at(11) }),
        ]);
        const order = (
          sortBy: CharacterQuery['sortBy'],
          sortOrder: 'asc' | 'desc' = 'desc',
        ): Promise<string[]> => slugs(store, { sortBy, sortOrder });
        assert.deepEqual(await order('featured'), ['none', 'tie', 'many', 'one-five', 'recent']);
        assert.deepEqual(await order('featured', 'asc'), [
          'recent',
          'one-five',
          'many',
          'none',
          'tie',
        ]);
        assert.deepEqual(await order('highestRating'), [
          'one-five',
          'many',
          'recent',
          'none',
          'tie',
        ]);
        assert.deepEqual(await order('highestRating', 'asc'), [
          'none',
          'tie',
          'recent',
          'many',
          'one-five',
        ]);
        assert.deepEqual(await order('highlyRated'), ['many', 'recent', 'one-five', 'none', 'tie']);
        assert.deepEqual(await order('highlyRatedAndRecent'), [
          'recent',
          'none',
          'tie',
          'many',
          'one-five',
        ]);
        assert.deepEqual(await order('imports'), ['none', 'tie', 'one-five', 'many', 'recent']);
        assert.deepEqual(await order('imports', 'asc'), [
          'recent',
          'many',
          'one-five',
          'none',
          'tie',
        ]);
        assert.deepEqual(await order('mostRecent'), ['recent', 'none', 'tie', 'many', 'one-five']);
        assert.deepEqual(await order('ratingCount'), ['many', 'recent', 'one-five', 'none', 'tie']);
        assert.deepEqual(await order('ratingCount', 'asc'), [
          'none',
          'tie',
          'one-five',
          'recent',
          'many',
        ]);
      }));

    it('pages with offset and limit after filtering and sorting', () =>
      withStore(async (store) => {
        await insertAll(
          store,
          Array.from({ length: 7 }, (_, index) =>
            character(`c${index}`, { imports: index, adult: index === 3 }),
          ),
        );
        const page = (offset: number, limit: number): Promise<string[]> =>
          slugs(store, { sortBy: 'imports', sortOrder: 'desc', adult: false, offset, limit });
        assert.deepEqual(await page(0, 2), ['c6', 'c5']);
        assert.deepEqual(await page(2, 2), ['c4', 'c2']);
        assert.deepEqual(await page(4, 5), ['c1', 'c0']);
        assert.deepEqual(await page(6, 5), []);
      }));

    it('counts reviews into the stats, refuses unknown characters and taken ids, and takes deleted ones out', () =>
      withStore(async (store) => {
        await insertAll(store, [
          character('alan', { ratingCount: 2, ratingSum: 7 }),
          character('other'),
        ]);
        assert.equal(
          await store.characters.addReview(review('r1', 'id-alan', { rating: 5 })),
          true,
        );
        assert.equal(
          await store.characters.addReview(review('r2', 'id-alan', { rating: 1 })),
          true,
        );
        assert.equal(
          await store.characters.addReview(review('r2', 'id-alan', { rating: 4 })),
          false,
        );
        assert.equal(await store.characters.addReview(review('r3', 'id-nobody')), false);
        let alan = await store.characters.findBySlug('alan');
        assert.deepEqual([alan?.ratingCount, alan?.ratingSum], [4, 13]);
        assert.equal(await store.characters.deleteReview('id-other', 'r1'), false);
        assert.equal(await store.characters.deleteReview('id-alan', 'r1'), true);
        assert.equal(await store.characters.deleteReview('id-alan', 'r1'), false);
        alan = await store.characters.findBySlug('alan');
        assert.deepEqual([alan?.ratingCount, alan?.ratingSum], [3, 8]);
        assert.deepEqual((await store.characters.findBySlug('other'))?.ratingCount, 0);
      }));

    it('lists reviews newest first with the total, and the latest rating an account gave', () =>
      withStore(async (store) => {
        await insertAll(store, [character('alan'), character('other')]);
        const full = review('r1', 'id-alan', {
          accountId: 'acct',
          username: 'u1',
          rating: 2,
          message: 'meh',
          locale: 'en',
          userAvatarUrl: 'https://a/u1',
          createdAt: at(1),
        });
        assert.equal(await store.characters.addReview(full), true);
        assert.equal(
          await store.characters.addReview(review('r3', 'id-alan', { createdAt: at(3) })),
          true,
        );
        assert.equal(
          await store.characters.addReview(
            review('r2', 'id-alan', { accountId: 'acct', rating: 4, createdAt: at(2) }),
          ),
          true,
        );
        assert.equal(
          await store.characters.addReview(
            review('r0', 'id-other', { accountId: 'acct', rating: 3 }),
          ),
          true,
        );
        const first = await store.characters.listReviews('id-alan', { offset: 0, limit: 2 });
        assert.deepEqual([first.total, first.reviews.map((found) => found.id)], [3, ['r3', 'r2']]);
        assert.deepEqual(
          (await store.characters.listReviews('id-alan', { offset: 2, limit: 2 })).reviews,
          [full],
        );
        assert.deepEqual(await store.characters.listReviews('id-nobody', { offset: 0, limit: 2 }), {
          reviews: [],
          total: 0,
        });
        assert.deepEqual(
          await store.characters.ratingsBy('acct', ['id-alan', 'id-other', 'id-nobody']),
          new Map([
            ['id-alan', 4],
            ['id-other', 3],
          ]),
        );
        assert.deepEqual(
          await store.characters.ratingsBy('acct', ['id-alan']),
          new Map([['id-alan', 4]]),
        );
        assert.deepEqual(await store.characters.ratingsBy('someone', ['id-alan']), new Map());
        assert.deepEqual(await store.characters.ratingsBy('acct', []), new Map());
      }));
  });
}
