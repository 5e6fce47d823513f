import { randomUUID } from 'node:crypto';
import { VeniceError } from '../errors/venice-error.ts';
import type { CharacterInput, CharacterUpdate, ReviewInput } from '../schemas/character-admin.ts';
import type { CharacterReviewsQuery, ListCharactersQuery } from '../schemas/characters.ts';
import type {
  Character,
  CharacterReview,
  CharacterReviewsResponse,
} from '../schemas/characters-response.ts';
import type { CharacterPatch, CharacterQuery, CharacterRecord, Store } from '../storage/store.ts';
import { averageRatingOf, characterView, reviewView } from './character-views.ts';

/** What a chat request needs of a character (INVENTORY §8.3). */
export interface CharacterPersona {
  slug: string;
  /** The persona, sent as a system prompt. */
  systemPrompt: string;
  /** The character's model, used when the request's model resolves to none here. */
  modelId: string;
}

export interface ReviewPage {
  body: CharacterReviewsResponse;
  pagination: CharacterReviewsResponse['pagination'];
}

// highlyRatedAndRecent: "recent" is created in the last 30 days (the spec names the mode only).
const RECENT_DAYS = 30;

/** swagger: search "Hashtag search is supported": `#zen #tao breath` needs the tags zen and tao and the text "breath". */
function searchOf(search: string | undefined): Pick<CharacterQuery, 'text' | 'hashtags'> {
  const words = (search ?? '')
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const isHashtag = (word: string): boolean => word.startsWith('#') && word.length > 1;
  const text = words.filter((word) => !isHashtag(word)).join(' ');
  const hashtags = words.filter(isHashtag).map((word) => word.slice(1));
  return { ...(text === '' ? {} : { text }), ...(hashtags.length === 0 ? {} : { hashtags }) };
}

function patchOf(update: CharacterUpdate): CharacterPatch {
  const { stats, ...fields } = update;
  return {
    ...fields,
    imports: stats?.imports,
    ratingCount: stats?.ratingCount,
    ratingSum: stats?.ratingSum,
  };
}

/**
 * Characters, framework-free: the public catalog (GET /characters*), the personas chat applies, and the operator's
 * edits (admin API, `rialto characters import`). Only public characters are visible to the catalog and to chat;
 * an unknown or private slug is 404 CHARACTER_NOT_FOUND everywhere.
 */
export class CharacterService {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** GET /characters. Without sortBy, featured characters first (then by imports). */
  async list(query: ListCharactersQuery, accountId: string): Promise<Character[]> {
    const records = await this.store.characters.list({
      publicOnly: true,
      offset: query.offset,
      limit: query.limit,
      sortBy: query.sortBy ?? 'featured',
      sortOrder: query.sortOrder,
      recentSince: new Date(this.now().getTime() - RECENT_DAYS * 86_400_000).toISOString(),
      ...searchOf(query.search),
      ...(query.categories === undefined ? {} : { categories: query.categories }),
      ...(query.tags === undefined ? {} : { tags: query.tags }),
      ...(query.modelId === undefined ? {} : { modelIds: query.modelId }),
      ...(query.isAdult === undefined ? {} : { adult: query.isAdult }),
      ...(query.isPro === undefined ? {} : { pro: query.isPro }),
      ...(query.isWebEnabled === undefined ? {} : { webEnabled: query.isWebEnabled }),
    });
    return this.views(records, accountId);
  }

  /** GET /characters/{slug}. */
  async get(slug: string, accountId: string): Promise<Character> {
    return (await this.views([await this.findPublic(slug)], accountId))[0]!;
  }

  /** GET /characters/{slug}/reviews: newest first; a page past the last is empty. */
  async reviews(
    slug: string,
    query: CharacterReviewsQuery,
    accountId: string,
  ): Promise<ReviewPage> {
    const character = await this.findPublic(slug);
    const { page, pageSize } = query;
    const { reviews, total } = await this.store.characters.listReviews(character.id, {
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    const pagination = { page, pageSize, total, totalPages: Math.ceil(total / pageSize) };
    const summary = {
      averageRating: averageRatingOf(character),
      totalReviews: character.ratingCount,
    };
    return {
      pagination,
      body: {
        object: 'list',
        data: reviews.map((review) => reviewView(review, accountId)),
        pagination,
        summary,
      },
    };
  }

  /** The persona of a public character, for chat. */
  async persona(slug: string): Promise<CharacterPersona> {
    const { systemPrompt, modelId } = await this.findPublic(slug);
    return { slug, systemPrompt, modelId };
  }

  /** Every character, public or not, by slug (the CLI's list). */
  async all(): Promise<CharacterRecord[]> {
    const records: CharacterRecord[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.store.characters.list({
        publicOnly: false,
        sortBy: 'mostRecent',
        sortOrder: 'asc',
        recentSince: '',
        offset,
        limit: 100,
      });
      records.push(...page);
      if (page.length < 100)
        return records.sort((left, right) => left.slug.localeCompare(right.slug));
    }
  }

  /** A new character; 400 when its slug (or id) is taken. */
  async create(input: CharacterInput, accountId: string): Promise<Character> {
    return (await this.views([await this.insert(input)], accountId))[0]!;
  }

  /** Changes the fields given of a character, public or not. */
  async update(slug: string, update: CharacterUpdate, accountId: string): Promise<Character> {
    const record = await this.store.characters.update(
      slug,
      patchOf(update),
      this.now().toISOString(),
    );
    if (record === undefined) throw new VeniceError('CHARACTER_NOT_FOUND');
    return (await this.views([record], accountId))[0]!;
  }

  async delete(slug: string): Promise<void> {
    if (!(await this.store.characters.delete(slug))) throw new VeniceError('CHARACTER_NOT_FOUND');
  }

  /** Creates the characters of an import file that do not exist and overwrites the fields of those that do (by slug). */
  async import(inputs: CharacterInput[]): Promise<{ created: string[]; updated: string[] }> {
    const result: { created: string[]; updated: string[] } = { created: [], updated: [] };
    for (const input of inputs) {
      const existing = await this.store.characters.findBySlug(input.slug);
      if (existing === undefined) {
        await this.insert(input);
        result.created.push(input.slug);
        continue;
      }
      if (input.id !== undefined && input.id !== existing.id)
        throw new Error(`character ${input.slug} has id ${existing.id}, not ${input.id}`);
      const { slug, id: _id, createdAt: _createdAt, ...update } = input;
      await this.store.characters.update(slug, patchOf(update), this.now().toISOString());
      result.updated.push(slug);
    }
    return result;
  }

  /** Adds a review of a character, public or not, counting its rating into the stats. */
  async addReview(slug: string, input: ReviewInput, accountId: string): Promise<CharacterReview> {
    const character = await this.store.characters.findBySlug(slug);
    if (character === undefined) throw new VeniceError('CHARACTER_NOT_FOUND');
    const { id, createdAt, ...fields } = input;
    const review = {
      ...fields,
      id: id ?? randomUUID(),
      characterId: character.id,
      createdAt: createdAt ?? this.now().toISOString(),
    };
    if (!(await this.store.characters.addReview(review)))
      throw new VeniceError('INVALID_REQUEST', {
        message: `A review with id ${review.id} already exists`,
      });
    return reviewView(review, accountId);
  }

  async deleteReview(slug: string, reviewId: string): Promise<void> {
    const character = await this.store.characters.findBySlug(slug);
    if (character === undefined) throw new VeniceError('CHARACTER_NOT_FOUND');
    // Like an unknown key on /api_keys: a 400 (the error table has no code for a missing review).
    if (!(await this.store.characters.deleteReview(character.id, reviewId)))
      throw new VeniceError('INVALID_REQUEST', { message: 'Review not found' });
  }

  private async insert(input: CharacterInput): Promise<CharacterRecord> {
    const at = this.now().toISOString();
    const { stats, id, createdAt, ...fields } = input;
    const record: CharacterRecord = {
      ...fields,
      id: id ?? randomUUID(),
      imports: stats?.imports ?? 0,
      ratingCount: stats?.ratingCount ?? 0,
      ratingSum: stats?.ratingSum ?? 0,
      createdAt: createdAt ?? at,
      updatedAt: at,
    };
    if (!(await this.store.characters.insert(record))) {
      throw new VeniceError('INVALID_REQUEST', {
        message: `A character with slug ${input.slug}${id === undefined ? '' : ` or id ${id}`} already exists`,
      });
    }
    return record;
  }

  private async findPublic(slug: string): Promise<CharacterRecord> {
    const record = await this.store.characters.findBySlug(slug);
    if (record === undefined || !record.public) throw new VeniceError('CHARACTER_NOT_FOUND');
    return record;
  }

  /** The spec's Character objects, with the rating the caller's account gave each (stats.userRating). */
  private async views(records: CharacterRecord[], accountId: string): Promise<Character[]> {
    const ratings = await this.store.characters.ratingsBy(
      accountId,
      records.map((record) => record.id),
    );
    return records.map((record) => characterView(record, ratings.get(record.id) ?? null));
  }
}
