// The async music job API over its whole lifecycle, on a `venice` engine relaying to a Venice job API double
// (test/support/upstream/venice-jobs-server.ts) on SQLite: quote (the four music pricing shapes), queue with the
// model's music spec enforced, retrieve (status, then the audio), complete; billing, refunds, ownership, and
// /models?type=music.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  FAIL_MARKERS,
  MEDIA_NOT_FOUND,
  VeniceJobsServer,
} from '../support/upstream/venice-jobs-server.ts';
import {
  post,
  price,
  recordsOf,
  retrieveUntilDone,
  until,
  usdBalance,
  ZERO,
} from './jobs-support.ts';

/** docs/models/music.mdx: ElevenLabs Music's first tiers ($0.75 a started minute). */
const TIERS = {
  60: { ...price(0.75), min_seconds: 3, max_seconds: 60 },
  120: { ...price(1.5), min_seconds: 61, max_seconds: 120 },
};
const SONG_SPEC = {
  min_prompt_length: 5,
  prompt_character_limit: 200,
  supports_lyrics: true,
  lyrics_character_limit: 100,
  min_duration: 3,
  max_duration: 120,
  default_duration: 60,
  supports_force_instrumental: true,
};
const NARRATION_SPEC = {
  supports_lyrics: true,
  voices: ['Aria', 'Roger'],
  default_voice: 'Aria',
  supports_speed: true,
  min_speed: 0.5,
  max_speed: 2,
  supports_language_code: true,
};

describe('music jobs on a venice engine (SQLite)', () => {
  let upstream: VeniceJobsServer;
  let rialto: TestRialto;
  let prompts = 0;
  const promptOf = (marker = ''): string =>
    `${marker}Warm cinematic strings, take ${(prompts += 1)}`;

  before(async () => {
    upstream = await VeniceJobsServer.start({ pollsUntilDone: 2 });
    const engine = (model?: string): Record<string, unknown> => ({
      kind: 'venice',
      endpoints: [{ url: upstream.url }],
      ...(model === undefined ? {} : { model }),
    });
    rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50 },
        models: [
          {
            id: 'song-relay',
            type: 'music',
            engine: engine('elevenlabs-music'),
            music: SONG_SPEC,
            pricing: { input: ZERO, output: ZERO, durations: TIERS },
          },
          {
            id: 'sfx-relay',
            type: 'music',
            engine: engine(),
            music: { duration_options: [5, 10], default_duration: 5 },
            pricing: { input: ZERO, output: ZERO, per_second: price(0.002) },
          },
          {
            id: 'narration-relay',
            type: 'music',
            engine: engine(),
            music: NARRATION_SPEC,
            pricing: { input: ZERO, output: ZERO, per_thousand_characters: price(0.3) },
          },
          {
            id: 'lyrics-relay',
            type: 'music',
            engine: engine(),
            music: {
              supports_lyrics: true,
              lyrics_required: true,
              supports_lyrics_optimizer: true,
            },
            pricing: { input: ZERO, output: ZERO, generation: price(0.05) },
          },
          {
            id: 'video-relay',
            type: 'video',
            engine: engine(),
            pricing: { input: ZERO, output: ZERO },
          },
        ],
      },
      { database: 'sqlite' },
    );
  });
  after(async () => {
    await rialto.close();
    await upstream.close();
  });

  async function queue(
    request: Record<string, unknown>,
    key = rialto.inferenceKey,
  ): Promise<string> {
    const response = await post(rialto, '/audio/queue', request, key);
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { model: string; queue_id: string; status: string };
    validateResponse({ method: 'POST', path: '/audio/queue', status: 200, body });
    assert.deepEqual(body, { model: request.model, queue_id: body.queue_id, status: 'QUEUED' });
    return body.queue_id;
  }

  it('quote, without a key: by duration tier, per second, per thousand characters', async () => {
    for (const [request, expected] of [
      [{ model: 'song-relay', duration_seconds: 30 }, 0.75],
      [{ model: 'song-relay', duration_seconds: '90' }, 1.5],
      [{ model: 'song-relay' }, 0.75],
      [{ model: 'sfx-relay', duration_seconds: 10 }, 0.02],
      [{ model: 'narration-relay', character_count: 2000 }, 0.6],
      [{ model: 'lyrics-relay' }, 0.05],
    ] as const) {
      const response = await post(rialto, '/audio/quote', request, null);
      assert.equal(response.status, 200, JSON.stringify(request));
      const body: unknown = await response.json();
      validateResponse({ method: 'POST', path: '/audio/quote', status: 200, body });
      assert.deepEqual(body, { quote: expected }, JSON.stringify(request));
    }
  });

  it('quote: 400 for a duration the model does not take, a missing character_count, an unknown key', async () => {
    for (const [request, field] of [
      [{ model: 'song-relay', duration_seconds: 121 }, 'duration_seconds'],
      [{ model: 'sfx-relay', duration_seconds: 7 }, 'duration_seconds'],
      [{ model: 'lyrics-relay', duration_seconds: 30 }, 'duration_seconds'],
      [{ model: 'narration-relay' }, 'character_count'],
      [{ model: 'song-relay', duration_seconds: 0 }, 'duration_seconds'],
      [{ model: 'song-relay', duration_seconds: '1.5' }, 'duration_seconds'],
      [{ model: 'song-relay', prompt: 'x' }, ''],
    ] as const) {
      const response = await post(rialto, '/audio/quote', request, null);
      assert.equal(response.status, 400, JSON.stringify(request));
      const body = (await response.json()) as { details: Record<string, unknown> };
      validateResponse({ method: 'POST', path: '/audio/quote', status: 400, body });
      if (field === '')
        assert.match(JSON.stringify(body.details), /Unrecognized key\(s\) in object: 'prompt'/);
      else assert.ok(field in body.details, JSON.stringify(body.details));
    }
    assert.equal(
      (await post(rialto, '/audio/quote', { model: 'no-such-model' }, null)).status,
      404,
    );
    assert.equal((await post(rialto, '/audio/quote', { model: 'video-relay' }, null)).status, 400);
  });

  it('lifecycle: queue → PROCESSING → the audio → complete → 404; the duration tier reserved, then charged once', async () => {
    const prompt = promptOf();
    const before = await usdBalance(rialto);
    upstream.holding = true;
    const queueId = await queue({
      model: 'song-relay',
      prompt,
      duration_seconds: '90',
      force_instrumental: true,
    });
    assert.deepEqual(await usdBalance(rialto), {
      balance: before.balance,
      reserved: before.reserved + toNanos(1.5),
    });
    const processing = await post(rialto, '/audio/retrieve', {
      model: 'song-relay',
      queue_id: queueId,
    });
    assert.equal(processing.status, 200);
    const status: unknown = await processing.json();
    validateResponse({ method: 'POST', path: '/audio/retrieve', status: 200, body: status });
    assert.equal((status as { status: string }).status, 'PROCESSING');

    await until('the job to reach the upstream', async () => upstream.queueIdOf(prompt));
    assert.deepEqual(
      upstream.queuesFor(prompt).map((call) => [call.path, call.body]),
      [
        [
          '/api/v1/audio/queue',
          { model: 'elevenlabs-music', prompt, duration_seconds: 90, force_instrumental: true },
        ],
      ],
    );
    upstream.holding = false;
    const media = await retrieveUntilDone(
      rialto,
      '/audio/retrieve',
      { model: 'song-relay', queue_id: queueId },
      undefined,
    );
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'audio/mpeg');
    const bytes = Buffer.from(await media.arrayBuffer());
    assert.ok(bytes.equals(upstream.audio), 'the bytes are the upstream MP3');
    validateResponse({
      method: 'POST',
      path: '/audio/retrieve',
      status: 200,
      contentType: 'audio/mpeg',
      body: bytes,
    });
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => ({ state, amount })),
      [{ state: 'completed', amount: toNanos(1.5) }],
    );
    assert.deepEqual(await usdBalance(rialto), {
      balance: before.balance - toNanos(1.5),
      reserved: before.reserved,
    });

    const completed = await post(rialto, '/audio/complete', {
      model: 'song-relay',
      queue_id: queueId,
    });
    const success: unknown = await completed.json();
    validateResponse({ method: 'POST', path: '/audio/complete', status: 200, body: success });
    assert.deepEqual(success, { success: true });
    const gone = await post(rialto, '/audio/retrieve', { model: 'song-relay', queue_id: queueId });
    assert.equal(gone.status, 404);
    const goneBody: unknown = await gone.json();
    validateResponse({ method: 'POST', path: '/audio/retrieve', status: 404, body: goneBody });
    assert.deepEqual(goneBody, { error: MEDIA_NOT_FOUND });
    assert.equal(upstream.queuesFor(prompt).length, 1);
  });

  it('per thousand characters: prompt and lyrics are counted; voice, speed and language where the model takes them; delete_media_on_completion', async () => {
    const prompt = `${promptOf()} ${'la '.repeat(150)}`;
    const lyrics = 'Verse 1: walking through the city lights';
    const queueId = await queue({
      model: 'narration-relay',
      prompt,
      lyrics_prompt: lyrics,
      voice: 'Roger',
      speed: 1.5,
      language_code: 'en',
    });
    const media = await retrieveUntilDone(rialto, '/audio/retrieve', {
      model: 'narration-relay',
      queue_id: queueId,
      delete_media_on_completion: true,
    });
    assert.equal(media.status, 200);
    await media.arrayBuffer();
    const charged = ((prompt.length + lyrics.length) / 1000) * 0.3;
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status, amount }) => ({ status, amount })),
      [{ status: 'completed', amount: toNanos(charged) }],
    );
    await until('the delivered audio to be deleted', async () =>
      (await post(rialto, '/audio/retrieve', { model: 'narration-relay', queue_id: queueId }))
        .status === 404
        ? true
        : undefined,
    );
  });

  it('400 for a field the model does not take (the music guide), and for its limits; nothing reaches the upstream', async () => {
    const prompt = promptOf();
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'sfx-relay', prompt, force_instrumental: false }, 'force_instrumental'],
      [{ model: 'sfx-relay', prompt, lyrics_prompt: 'la la' }, 'lyrics_prompt'],
      [{ model: 'song-relay', prompt, loop: true }, 'loop'],
      [{ model: 'song-relay', prompt, voice: 'Aria' }, 'voice'],
      [{ model: 'song-relay', prompt, language_code: 'en' }, 'language_code'],
      [{ model: 'song-relay', prompt, speed: 1 }, 'speed'],
      [{ model: 'song-relay', prompt, lyrics_optimizer: true }, 'lyrics_optimizer'],
      [{ model: 'song-relay', prompt: 'abc' }, 'prompt'],
      [{ model: 'song-relay', prompt: 'x'.repeat(201) }, 'prompt'],
      [{ model: 'song-relay', prompt, lyrics_prompt: 'la '.repeat(40) }, 'lyrics_prompt'],
      [{ model: 'song-relay', prompt, duration_seconds: 2 }, 'duration_seconds'],
      [{ model: 'sfx-relay', prompt, duration_seconds: 7 }, 'duration_seconds'],
      [{ model: 'narration-relay', prompt, voice: 'Nobody' }, 'voice'],
      [{ model: 'narration-relay', prompt, speed: 3 }, 'speed'],
      [{ model: 'narration-relay', prompt, language_code: 'eng' }, 'language_code'],
      [{ model: 'lyrics-relay', prompt }, 'lyrics_prompt'],
      [
        { model: 'lyrics-relay', prompt, lyrics_optimizer: true, lyrics_prompt: 'la la' },
        'lyrics_prompt',
      ],
      [{ model: 'song-relay', prompt: '' }, 'prompt'],
      [{ model: 'song-relay', prompt, negative_prompt: 'x' }, ''],
    ];
    for (const [request, field] of cases) {
      const response = await post(rialto, '/audio/queue', request);
      assert.equal(response.status, 400, JSON.stringify(request));
      const body = (await response.json()) as { details: Record<string, unknown> };
      validateResponse({ method: 'POST', path: '/audio/queue', status: 400, body });
      if (field === '')
        assert.match(
          JSON.stringify(body.details),
          /Unrecognized key\(s\) in object: 'negative_prompt'/,
        );
      else assert.ok(field in body.details, `${field} in ${JSON.stringify(body.details)}`);
    }
    assert.equal(upstream.queuesFor(prompt).length, 0);
    assert.equal(
      (await post(rialto, '/audio/queue', { model: 'no-such-model', prompt })).status,
      404,
    );
    assert.equal(
      (await post(rialto, '/audio/queue', { model: 'video-relay', prompt })).status,
      400,
    );
    for (const path of ['/audio/retrieve', '/audio/complete']) {
      const response = await post(rialto, path, {
        model: 'song-relay',
        queue_id: 'x',
        extra: true,
      });
      assert.equal(response.status, 400);
      validateResponse({ method: 'POST', path, status: 400, body: await response.json() });
    }
    // lyrics_optimizer writes the lyrics a lyrics_required model needs.
    const optimized = await queue({ model: 'lyrics-relay', prompt, lyrics_optimizer: true });
    assert.equal(
      (
        await retrieveUntilDone(rialto, '/audio/retrieve', {
          model: 'lyrics-relay',
          queue_id: optimized,
        })
      ).status,
      200,
    );
  });

  it('moderation: 422 ContentViolationError with credits_refunded true, refunded; an upstream failure: 500, refunded', async () => {
    for (const [marker, status, refund] of [
      [FAIL_MARKERS.moderation, 422, 'refunded_moderation'],
      [FAIL_MARKERS.failure, 500, 'refunded_failed'],
    ] as const) {
      const before = await usdBalance(rialto);
      const queueId = await queue({
        model: 'lyrics-relay',
        prompt: promptOf(marker),
        lyrics_prompt: 'la la la',
      });
      const failed = await retrieveUntilDone(rialto, '/audio/retrieve', {
        model: 'lyrics-relay',
        queue_id: queueId,
      });
      assert.equal(failed.status, status);
      const body = (await failed.json()) as { error: unknown; credits_refunded: boolean };
      validateResponse({ method: 'POST', path: '/audio/retrieve', status, body });
      assert.equal(typeof body.error, 'string');
      assert.equal(body.credits_refunded, true);
      assert.deepEqual(await usdBalance(rialto), before);
      assert.deepEqual(
        (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => ({ state, amount })),
        [{ state: refund, amount: 0 }],
      );
    }
  });

  it("402 before the upstream when the balance is short; another account's key and another model get 404", async () => {
    const poorKey = (
      await rialto.keys.create({ apiKeyType: 'INFERENCE', description: 'poor', accountId: 'poor' })
    ).apiKey;
    const prompt = promptOf();
    const refused = await post(rialto, '/audio/queue', { model: 'song-relay', prompt }, poorKey);
    assert.equal(refused.status, 402);
    validateResponse({
      method: 'POST',
      path: '/audio/queue',
      status: 402,
      body: await refused.json(),
    });
    assert.equal(upstream.queuesFor(prompt).length, 0);

    const queueId = await queue({ model: 'song-relay', prompt });
    for (const [body, key] of [
      [{ model: 'song-relay', queue_id: queueId }, poorKey],
      [{ model: 'sfx-relay', queue_id: queueId }, rialto.inferenceKey],
    ] as const) {
      for (const path of ['/audio/retrieve', '/audio/complete'])
        assert.equal(
          (await post(rialto, path, body, key)).status,
          404,
          `${path} ${JSON.stringify(body)}`,
        );
    }
    // A music job is not a video job.
    assert.equal(
      (await post(rialto, '/video/retrieve', { model: 'song-relay', queue_id: queueId })).status,
      404,
    );
    assert.equal(
      (
        await retrieveUntilDone(rialto, '/audio/retrieve', {
          model: 'song-relay',
          queue_id: queueId,
        })
      ).status,
      200,
    );
  });

  it('/models?type=music: the music pricing shapes and the music fields of each model', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=music`);
    const body = (await response.json()) as {
      data: { id: string; model_spec: Record<string, unknown> }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const spec = Object.fromEntries(body.data.map((model) => [model.id, model.model_spec]));
    assert.deepEqual(Object.keys(spec), [
      'song-relay',
      'sfx-relay',
      'narration-relay',
      'lyrics-relay',
    ]);
    assert.deepEqual(spec['song-relay']!.pricing, { durations: TIERS });
    assert.deepEqual(spec['sfx-relay']!.pricing, { per_second: price(0.002) });
    assert.deepEqual(spec['narration-relay']!.pricing, { per_thousand_characters: price(0.3) });
    assert.deepEqual(spec['lyrics-relay']!.pricing, { generation: price(0.05) });
    assert.equal(spec['song-relay']!.max_duration, 120);
    assert.equal(spec['song-relay']!.supports_force_instrumental, true);
    assert.equal(spec['song-relay']!.lyrics_character_limit, 100);
    assert.deepEqual(spec['sfx-relay']!.duration_options, [5, 10]);
    assert.deepEqual(spec['narration-relay']!.voices, ['Aria', 'Roger']);
    assert.equal(spec['narration-relay']!.default_voice, 'Aria');
    assert.equal(spec['lyrics-relay']!.lyrics_required, true);
  });
});
