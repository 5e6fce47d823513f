// Characters (swagger /characters, /characters/{slug}, /characters/{slug}/reviews; INVENTORY §8) through real HTTP,
// seeded through Rialto's own admin API: every answer the swagger documents is checked against it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

const CHARACTER_FIELDS = [
  'adult',
  'author',
  'createdAt',
  'description',
  'featured',
  'id',
  'modelId',
  'name',
  'photoUrl',
  'shareUrl',
  'slug',
  'stats',
  'tags',
  'updatedAt',
  'webEnabled',
];

let rialto: TestRialto;

async function call(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; validate?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? rialto.inferenceKey : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const body = (await response.json()) as Json;
  if (options.validate !== false) validateResponse({ method, path, status: response.status, body });
  return { status: response.status, body, headers: response.headers };
}

/** An admin call: Rialto's own endpoints are not in the swagger; answers carrying a Character are checked as GET's. */
async function admin(method: string, path: string, body?: unknown, key?: string): Promise<Answer> {
  const answer = await call(method, path, { key: key ?? rialto.adminKey, body, validate: false });
  if (answer.status === 200 && answer.body.object === 'character')
    validateResponse({ method: 'GET', path: '/characters/x', status: 200, body: answer.body });
  if (answer.status >= 400) validateSchema('StandardError', answer.body);
  return answer;
}

function slugsOf(answer: Answer): string[] {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body.data as Json[]).map((character) => String(character.slug));
}

async function create(slug: string, fields: Json = {}): Promise<Json> {
  const answer = await admin('POST', '/characters', {
    slug,
    name: `Name ${slug}`,
    systemPrompt: `You are ${slug}.`,
    modelId: 'model-a',
    ...fields,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.data as Json;
}

before(async () => {
  rialto = await startRialto({});
  await create('alan-watts', {
    name: 'Alan Watts',
    description: 'A philosophical entertainer',
    tags: ['AlanWatts', 'Philosophy', 'Zen'],
    categories: ['philosophy'],
    featured: true,
    webEnabled: true,
    modelId: 'model-b',
    shareUrl: 'https://example.org/c/alan-watts',
    photoUrl: 'https://example.org/alan.png',
    stats: { imports: 112, ratingCount: 24, ratingSum: 113 },
    createdAt: '2024-12-20T21:28:08.934Z',
  });
  await create('coder', {
    tags: ['Coding', 'helpful'],
    categories: ['assistant', 'productivity'],
    pro: true,
    stats: { imports: 50 },
    createdAt: '2025-01-01T00:00:00.000Z',
  });
  await create('night-owl', {
    adult: true,
    tags: ['Roleplay'],
    categories: ['roleplay'],
    stats: { imports: 7 },
    createdAt: '2025-02-01T00:00:00.000Z',
  });
  await create('hidden', { public: false, tags: ['Zen'], stats: { imports: 999 } });
});

after(async () => {
  await rialto.close();
});

describe('GET /characters', () => {
  it("lists public characters in the spec's shape, featured first by default, never showing the persona", async () => {
    const answer = await call('GET', '/characters');
    assert.equal(answer.body.object, 'list');
    assert.deepEqual(slugsOf(answer), ['alan-watts', 'coder', 'night-owl']);
    const alan = (answer.body.data as Json[])[0]!;
    assert.deepEqual(Object.keys(alan).sort(), CHARACTER_FIELDS);
    assert.deepEqual(alan.stats, {
      averageRating: 4.7,
      imports: 112,
      ratingCount: 24,
      ratingSum: 113,
      userRating: null,
    });
    assert.deepEqual(
      [alan.name, alan.tags, alan.modelId, alan.webEnabled, alan.author, alan.createdAt],
      [
        'Alan Watts',
        ['AlanWatts', 'Philosophy', 'Zen'],
        'model-b',
        true,
        'rialto',
        '2024-12-20T21:28:08.934Z',
      ],
    );
    assert.ok(!JSON.stringify(answer.body).includes('You are'), 'the persona must never be shown');
  });

  it('filters by categories, tags and modelId, repeated, comma-separated or as name[]', async () => {
    assert.deepEqual(slugsOf(await call('GET', '/characters?categories=assistant')), ['coder']);
    assert.deepEqual(
      slugsOf(await call('GET', '/characters?categories=assistant&categories=roleplay')),
      ['coder', 'night-owl'],
    );
    assert.deepEqual(slugsOf(await call('GET', '/characters?categories=philosophy,roleplay')), [
      'alan-watts',
      'night-owl',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?tags[]=zen&tags[]=helpful')), [
      'alan-watts',
      'coder',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?tags=ROLEPLAY')), ['night-owl']);
    assert.deepEqual(slugsOf(await call('GET', '/characters?modelId=model-b')), ['alan-watts']);
    assert.deepEqual(
      slugsOf(await call('GET', '/characters?modelId=model-a,model-b&tags=coding')),
      ['coder'],
    );
  });

  it('filters by isAdult, isPro and isWebEnabled', async () => {
    assert.deepEqual(slugsOf(await call('GET', '/characters?isAdult=true')), ['night-owl']);
    assert.deepEqual(slugsOf(await call('GET', '/characters?isAdult=false')), [
      'alan-watts',
      'coder',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?isPro=true')), ['coder']);
    assert.deepEqual(slugsOf(await call('GET', '/characters?isWebEnabled=true')), ['alan-watts']);
    assert.deepEqual(slugsOf(await call('GET', '/characters?isWebEnabled=false&isPro=false')), [
      'night-owl',
    ]);
  });

  it('searches name, description and tags, and #hashtags as whole tags', async () => {
    assert.deepEqual(slugsOf(await call('GET', '/characters?search=philosoph')), ['alan-watts']);
    assert.deepEqual(slugsOf(await call('GET', '/characters?search=name%20c')), ['coder']);
    assert.deepEqual(
      slugsOf(await call('GET', `/characters?search=${encodeURIComponent('#zen')}`)),
      ['alan-watts'],
    );
    assert.deepEqual(
      slugsOf(await call('GET', `/characters?search=${encodeURIComponent('#zen watts')}`)),
      ['alan-watts'],
    );
    assert.deepEqual(
      slugsOf(await call('GET', `/characters?search=${encodeURIComponent('#zen coder')}`)),
      [],
    );
    assert.deepEqual(
      slugsOf(await call('GET', `/characters?search=${encodeURIComponent('#phil')}`)),
      [],
    );
  });

  it('sorts by sortBy in sortOrder (desc by default) and pages with limit and offset', async () => {
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=imports')), [
      'alan-watts',
      'coder',
      'night-owl',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=imports&sortOrder=asc')), [
      'night-owl',
      'coder',
      'alan-watts',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=mostRecent')), [
      'night-owl',
      'coder',
      'alan-watts',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=ratingCount')), [
      'alan-watts',
      'coder',
      'night-owl',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=highestRating&sortOrder=asc')), [
      'coder',
      'night-owl',
      'alan-watts',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=imports&limit=2')), [
      'alan-watts',
      'coder',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=imports&limit=2&offset=2')), [
      'night-owl',
    ]);
    assert.deepEqual(slugsOf(await call('GET', '/characters?sortBy=imports&offset=')), [
      'alan-watts',
      'coder',
      'night-owl',
    ]);
    for (const sortBy of ['featured', 'highlyRated', 'highlyRatedAndRecent'])
      assert.equal(slugsOf(await call('GET', `/characters?sortBy=${sortBy}`)).length, 3);
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['isAdult=yes', 'isAdult'],
      ['sortBy=best', 'sortBy'],
      ['sortOrder=up', 'sortOrder'],
      [`tags=${Array.from({ length: 21 }, (_, index) => `t${index}`).join(',')}`, 'tags'],
      [`search=${'x'.repeat(201)}`, 'search'],
      [`modelId=${'m'.repeat(201)}`, 'modelId'],
      ['page=2', ''],
    ] as const) {
      // The swagger documents no 400 for /characters: the body is checked as the DetailedError other endpoints answer.
      const answer = await call('GET', `/characters?${query}`, { validate: false });
      assert.equal(answer.status, 400, query);
      validateSchema('DetailedError', answer.body);
      assert.ok(
        JSON.stringify(answer.body.issues).includes(
          field === '' ? 'Unrecognized key' : `"${field}"`,
        ),
        `${query}: ${JSON.stringify(answer.body)}`,
      );
    }
  });

  it('needs a key (401), and any key will do', async () => {
    assert.equal((await call('GET', '/characters', { key: null })).status, 401);
    assert.equal((await call('GET', '/characters', { key: 'rk-nope' })).status, 401);
    assert.equal((await call('GET', '/characters', { key: rialto.adminKey })).status, 200);
  });
});

describe('GET /characters/{slug}', () => {
  it('answers one public character', async () => {
    const answer = await call('GET', '/characters/coder');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.object, 'character');
    const data = answer.body.data as Json;
    assert.deepEqual(Object.keys(data).sort(), CHARACTER_FIELDS);
    assert.deepEqual(
      [data.slug, data.tags, data.description, data.shareUrl],
      ['coder', ['Coding', 'helpful'], null, null],
    );
  });

  it('is 404 CHARACTER_NOT_FOUND for unknown and private slugs', async () => {
    for (const slug of ['nobody', 'hidden']) {
      const answer = await call('GET', `/characters/${slug}`);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, {
        error: 'No character could be found from the provided character_slug',
      });
    }
    assert.equal((await call('GET', '/characters/coder', { key: null })).status, 401);
  });
});

describe('GET /characters/{slug}/reviews', () => {
  before(async () => {
    const reviews: Json[] = [
      {
        username: 'first',
        rating: 2,
        createdAt: '2025-03-01T00:00:00Z',
        accountId: 'someone-else',
      },
      {
        username: 'mine',
        rating: 4,
        message: 'Calm.',
        locale: 'en',
        userAvatarUrl: 'https://example.org/me.png',
        createdAt: '2025-03-02T00:00:00Z',
        accountId: 'default',
      },
      { username: 'latest', rating: 5, createdAt: '2025-03-03T00:00:00Z' },
    ];
    for (const review of reviews) {
      const answer = await admin('POST', '/characters/coder/reviews', review);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      validateResponse({
        method: 'GET',
        path: '/characters/coder/reviews',
        status: 200,
        body: {
          object: 'list',
          data: [answer.body.data],
          pagination: { page: 1, pageSize: 1, total: 1, totalPages: 1 },
          summary: { averageRating: 0, totalReviews: 0 },
        },
      });
    }
  });

  it('pages reviews newest first, with pagination in the body and the x-pagination-* headers', async () => {
    const first = await call('GET', '/characters/coder/reviews?pageSize=2');
    assert.equal(first.status, 200);
    assert.deepEqual(
      (first.body.data as Json[]).map((review) => [review.username, review.isOwner]),
      [
        ['latest', false],
        ['mine', true],
      ],
    );
    assert.deepEqual(first.body.pagination, { page: 1, pageSize: 2, total: 3, totalPages: 2 });
    assert.deepEqual(first.body.summary, { averageRating: 3.7, totalReviews: 3 });
    assert.deepEqual(
      ['limit', 'page', 'total', 'total-pages'].map((name) =>
        first.headers.get(`x-pagination-${name}`),
      ),
      ['2', '1', '3', '2'],
    );
    const mine = (first.body.data as Json[])[1]!;
    assert.deepEqual(
      [mine.message, mine.locale, mine.userAvatarUrl, mine.rating, mine.createdAt],
      ['Calm.', 'en', 'https://example.org/me.png', 4, '2025-03-02T00:00:00.000Z'],
    );

    const second = await call('GET', '/characters/coder/reviews?page=2&pageSize=2');
    assert.deepEqual(
      (second.body.data as Json[]).map((review) => review.username),
      ['first'],
    );
    assert.equal(second.headers.get('x-pagination-page'), '2');
    const beyond = await call('GET', '/characters/coder/reviews?page=9');
    assert.deepEqual(
      [beyond.body.data, beyond.body.pagination],
      [[], { page: 9, pageSize: 20, total: 3, totalPages: 1 }],
    );
    assert.deepEqual((await call('GET', '/characters/night-owl/reviews')).body.pagination, {
      page: 1,
      pageSize: 20,
      total: 0,
      totalPages: 0,
    });
  });

  it("counts reviews into the character's stats, with the caller's own rating as userRating", async () => {
    const stats = ((await call('GET', '/characters/coder')).body.data as Json).stats;
    assert.deepEqual(stats, {
      averageRating: 3.7,
      imports: 50,
      ratingCount: 3,
      ratingSum: 11,
      userRating: 4,
    });
  });

  it('is 400 for a bad page or pageSize and 404 for an unknown or private slug', async () => {
    for (const query of ['page=0', 'pageSize=0', 'pageSize=101', 'page=x', 'limit=2']) {
      const answer = await call('GET', `/characters/coder/reviews?${query}`);
      assert.equal(answer.status, 400, query);
      assert.ok(Array.isArray(answer.body.issues));
    }
    assert.equal((await call('GET', '/characters/nobody/reviews')).status, 404);
    assert.equal((await call('GET', '/characters/hidden/reviews')).status, 404);
  });
});

describe("the admin API (Rialto's own)", () => {
  it('is for ADMIN keys only', async () => {
    assert.equal(
      (
        await admin(
          'POST',
          '/characters',
          { slug: 'x', name: 'x', systemPrompt: 'x', modelId: 'm' },
          rialto.inferenceKey,
        )
      ).status,
      403,
    );
    assert.equal(
      (await admin('PATCH', '/characters/coder', { name: 'x' }, rialto.inferenceKey)).status,
      403,
    );
    assert.equal(
      (await admin('DELETE', '/characters/coder', undefined, rialto.inferenceKey)).status,
      403,
    );
    assert.equal(
      (
        await admin(
          'POST',
          '/characters/coder/reviews',
          { username: 'u', rating: 1 },
          rialto.inferenceKey,
        )
      ).status,
      403,
    );
    assert.equal((await call('GET', '/characters/x', { key: null, validate: false })).status, 401);
    assert.equal(((await call('GET', '/characters/coder')).body.data as Json).name, 'Name coder');
  });

  it('validates bodies strictly and refuses a taken slug', async () => {
    for (const body of [
      { slug: 'new', name: 'n', modelId: 'm' },
      { slug: 'new', name: 'n', systemPrompt: 'p', modelId: 'm', persona: 'x' },
      { slug: 'has space', name: 'n', systemPrompt: 'p', modelId: 'm' },
      { slug: 'new', name: 'n', systemPrompt: 'p', modelId: 'm', tags: ['a,b'] },
      { slug: 'coder', name: 'n', systemPrompt: 'p', modelId: 'm' },
    ]) {
      const answer = await admin('POST', '/characters', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
    assert.equal((await admin('PATCH', '/characters/coder', {})).status, 400);
    assert.equal((await admin('PATCH', '/characters/coder', { slug: 'renamed' })).status, 400);
    assert.equal(
      (await admin('POST', '/characters/coder/reviews', { username: 'u', rating: 6 })).status,
      400,
    );
    assert.equal((await call('GET', '/characters/new')).status, 404);
  });

  it('changes characters with PATCH, hides them with public: false and deletes them with their reviews', async () => {
    const created = await create('temp', { tags: ['one'] });
    assert.deepEqual(Object.keys(created).sort(), CHARACTER_FIELDS);
    const patched = await admin('PATCH', '/characters/temp', {
      name: 'Temp',
      tags: ['two', 'three'],
      stats: { imports: 5 },
      systemPrompt: 'You are temp, changed.',
    });
    assert.equal(patched.status, 200);
    const data = patched.body.data as Json;
    assert.deepEqual(
      [data.name, data.tags, (data.stats as Json).imports, data.id, data.createdAt],
      ['Temp', ['two', 'three'], 5, created.id, created.createdAt],
    );
    assert.ok(String(data.updatedAt) >= String(created.updatedAt));
    assert.equal((await admin('PATCH', '/characters/temp', { public: false })).status, 200);
    assert.equal((await call('GET', '/characters/temp')).status, 404);
    assert.ok(!slugsOf(await call('GET', '/characters?limit=100')).includes('temp'));
    assert.equal((await admin('PATCH', '/characters/temp', { public: true })).status, 200);
    assert.equal((await call('GET', '/characters/temp')).status, 200);

    const review = await admin('POST', '/characters/temp/reviews', { username: 'u', rating: 3 });
    const reviewId = String((review.body.data as Json).id);
    assert.deepEqual((await call('GET', '/characters/temp/reviews')).body.summary, {
      averageRating: 3,
      totalReviews: 1,
    });
    assert.equal((await admin('DELETE', `/characters/temp/reviews/${reviewId}`)).status, 200);
    assert.equal((await admin('DELETE', `/characters/temp/reviews/${reviewId}`)).status, 400);
    assert.deepEqual(((await call('GET', '/characters/temp')).body.data as Json).stats, {
      averageRating: 0,
      imports: 5,
      ratingCount: 0,
      ratingSum: 0,
      userRating: null,
    });

    assert.deepEqual((await admin('DELETE', '/characters/temp')).body, { success: true });
    assert.equal((await call('GET', '/characters/temp')).status, 404);
    assert.equal((await admin('DELETE', '/characters/temp')).status, 404);
    assert.equal((await admin('PATCH', '/characters/temp', { name: 'x' })).status, 404);
    assert.equal(
      (await admin('POST', '/characters/temp/reviews', { username: 'u', rating: 3 })).status,
      404,
    );
  });
});
