// The async video job API over its whole lifecycle, on a `venice` engine relaying to a Venice job API double
// (test/support/upstream/venice-jobs-server.ts) on SQLite: quote, queue, retrieve (status, then the media), complete;
// the quote reserved at queue time, charged once on success, refunded on failure and moderation; ownership,
// validation, the upstream going away and coming back, private-model download URLs, and /models?type=video.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
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

const UPSTREAM_KEY = 'upstream-secret';
const UPSTREAM_MODEL = 'wan-2.5-preview-text-to-video';
const CONSTRAINTS = {
  aspect_ratios: ['16:9', '9:16'],
  resolutions: ['720p', '1080p'],
  durations: ['5s', '10s'],
  model_type: 'text-to-video',
  audio: true,
  audio_configurable: true,
  prompt_character_limit: 200,
};
/** $0.05 a job plus $0.01 a second, or $0.02 a second at 1080p. */
const PRICING = {
  input: ZERO,
  output: ZERO,
  generation: price(0.05),
  per_second: price(0.01),
  resolutions: { '1080p': price(0.02) },
};
const QUOTE_5S = 0.1;

function veniceEngine(
  url: string,
  model?: string,
  apiKey: string | undefined = UPSTREAM_KEY,
): Record<string, unknown> {
  return {
    kind: 'venice',
    endpoints: [{ url, ...(apiKey === undefined ? {} : { apiKey }) }],
    ...(model === undefined ? {} : { model }),
  };
}

describe('video jobs on a venice engine (SQLite)', () => {
  let upstream: VeniceJobsServer;
  let privateUpstream: VeniceJobsServer;
  let rialto: TestRialto;
  let otherKey: string;
  let prompts = 0;
  /** A prompt no other test uses (the double's calls are told apart by prompt). */
  const promptOf = (marker = ''): string => `${marker}A gondola at sunset, take ${(prompts += 1)}`;

  before(async () => {
    [upstream, privateUpstream] = await Promise.all([
      VeniceJobsServer.start({ apiKey: UPSTREAM_KEY, pollsUntilDone: 2 }),
      VeniceJobsServer.start({ downloadUrl: true }),
    ]);
    rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50 },
        models: [
          {
            id: 'wan-relay',
            type: 'video',
            engine: veniceEngine(upstream.url, UPSTREAM_MODEL),
            videoConstraints: CONSTRAINTS,
            pricing: PRICING,
          },
          {
            id: 'wan-relay-i2v',
            type: 'video',
            engine: veniceEngine(upstream.url),
            videoConstraints: {
              ...CONSTRAINTS,
              model_type: 'image-to-video',
              durations: ['5s'],
              audio: false,
              audio_configurable: false,
            },
            pricing: PRICING,
          },
          {
            id: 'grok-private',
            type: 'video',
            engine: veniceEngine(privateUpstream.url, undefined, undefined),
            videoConstraints: CONSTRAINTS,
            pricing: PRICING,
          },
          {
            id: 'wan-link',
            type: 'video',
            engine: veniceEngine(upstream.url, UPSTREAM_MODEL),
            videoConstraints: CONSTRAINTS,
            pricing: PRICING,
            videoDelivery: 'download_url',
          },
          {
            id: 'music-relay',
            type: 'music',
            engine: veniceEngine(upstream.url),
            pricing: { input: ZERO, output: ZERO, generation: price(0.02) },
          },
        ],
      },
      { database: 'sqlite' },
    );
    otherKey = (
      await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'another account',
        accountId: 'other',
      })
    ).apiKey;
    await rialto.store.accounts.credit('other', 'USD', toNanos(100));
  });
  after(async () => {
    await rialto.close();
    await Promise.all([upstream.close(), privateUpstream.close()]);
  });

  /** Queues a job on wan-relay (5 s, 720p unless `extra` says otherwise); its queue_id. */
  async function queue(
    prompt: string,
    extra: Record<string, unknown> = {},
    key = rialto.inferenceKey,
  ): Promise<string> {
    const response = await post(
      rialto,
      '/video/queue',
      { model: 'wan-relay', prompt, duration: '5s', resolution: '720p', ...extra },
      key,
    );
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { model: string; queue_id: string };
    validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
    return body.queue_id;
  }

  it('quote: the price in USD, without a key; aspect_ratio is a pricing input only', async () => {
    for (const [request, expected] of [
      [{ model: 'wan-relay', duration: '5s' }, QUOTE_5S],
      [{ model: 'wan-relay', duration: '10s', resolution: '1080p', aspect_ratio: '1:1' }, 0.25],
    ] as const) {
      const response = await post(rialto, '/video/quote', request, null);
      assert.equal(response.status, 200);
      const body: unknown = await response.json();
      validateResponse({ method: 'POST', path: '/video/quote', status: 200, body });
      assert.deepEqual(body, { quote: expected });
    }
  });

  it('quote refuses what the model cannot price: 400 for its duration or resolution, 404 unknown model, 400 a music model', async () => {
    for (const request of [
      { model: 'wan-relay', duration: '7s' },
      { model: 'wan-relay', duration: '5s', resolution: '480p' },
      { model: 'wan-relay' },
    ]) {
      const response = await post(rialto, '/video/quote', request);
      assert.equal(response.status, 400);
      validateResponse({
        method: 'POST',
        path: '/video/quote',
        status: 400,
        body: await response.json(),
      });
    }
    assert.equal(
      (await post(rialto, '/video/quote', { model: 'no-such-model', duration: '5s' })).status,
      404,
    );
    assert.equal(
      (await post(rialto, '/video/quote', { model: 'music-relay', duration: '5s' })).status,
      400,
    );
  });

  it('lifecycle: queue → PROCESSING → the media, streamed as the upstream made it → complete → 404; the quote reserved, then charged once', async () => {
    const prompt = promptOf();
    const before = await usdBalance(rialto);
    upstream.holding = true;
    const queueId = await queue(prompt, { aspect_ratio: '16:9', bitrate_mode: 'high' });
    // The quote is reserved at queue time.
    assert.deepEqual(await usdBalance(rialto), {
      balance: before.balance,
      reserved: before.reserved + toNanos(QUOTE_5S),
    });

    const processing = await post(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(processing.status, 200);
    assert.match(processing.headers.get('content-type') ?? '', /^application\/json/);
    const status = (await processing.json()) as {
      status: string;
      average_execution_time: number;
      execution_duration: number;
    };
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body: status });
    assert.equal(status.status, 'PROCESSING');

    // The job reached the upstream once, as the upstream's model, with the operator's key and the client's fields.
    const upstreamId = await until('the job to reach the upstream', async () =>
      upstream.queueIdOf(prompt),
    );
    await until('the upstream to be polled', async () =>
      upstream.callsTo('/api/v1/video/retrieve').some((call) => call.body?.queue_id === upstreamId)
        ? true
        : undefined,
    );
    const [queued, ...more] = upstream.queuesFor(prompt);
    assert.equal(more.length, 0);
    assert.equal(queued!.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.deepEqual(queued!.body, {
      model: UPSTREAM_MODEL,
      prompt,
      duration: '5s',
      resolution: '720p',
      aspect_ratio: '16:9',
      bitrate_mode: 'high',
    });

    upstream.holding = false;
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    assert.equal(media.headers.get('content-encoding'), null);
    assert.equal(media.headers.get('x-venice-model-id'), 'wan-relay');
    const bytes = Buffer.from(await media.arrayBuffer());
    assert.equal(Number(media.headers.get('content-length')), upstream.video.length);
    assert.ok(bytes.equals(upstream.video), 'the bytes are the upstream MP4');
    validateResponse({
      method: 'POST',
      path: '/video/retrieve',
      status: 200,
      contentType: 'video/mp4',
      body: bytes,
    });

    // Charged once, the quote; nothing left reserved. The upstream's copy was cleaned up.
    const records = await recordsOf(rialto, queueId);
    assert.deepEqual(
      records.map(({ status: state, amount }) => ({ state, amount })),
      [{ state: 'completed', amount: toNanos(QUOTE_5S) }],
    );
    assert.deepEqual(await usdBalance(rialto), {
      balance: before.balance - toNanos(QUOTE_5S),
      reserved: before.reserved,
    });
    await until('the upstream job to be completed', async () =>
      upstream.callsTo('/api/v1/video/complete').some((call) => call.body?.queue_id === upstreamId)
        ? true
        : undefined,
    );

    // Still there until completed (and never compressed, whatever the client accepts); then 404.
    const again = await post(
      rialto,
      '/video/retrieve',
      { model: 'wan-relay', queue_id: queueId },
      rialto.inferenceKey,
      { 'accept-encoding': 'gzip, br' },
    );
    assert.equal(again.headers.get('content-type'), 'video/mp4');
    assert.equal(again.headers.get('content-encoding'), null);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(upstream.video));
    const completed = await post(rialto, '/video/complete', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(completed.status, 200);
    const success: unknown = await completed.json();
    validateResponse({ method: 'POST', path: '/video/complete', status: 200, body: success });
    assert.deepEqual(success, { success: true });
    const gone = await post(rialto, '/video/retrieve', { model: 'wan-relay', queue_id: queueId });
    assert.equal(gone.status, 404);
    const goneBody: unknown = await gone.json();
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 404, body: goneBody });
    assert.deepEqual(goneBody, { error: MEDIA_NOT_FOUND });
    assert.equal(upstream.queuesFor(prompt).length, 1);
    assert.equal((await recordsOf(rialto, queueId)).length, 1);
  });

  it('delete_media_on_completion: the media is delivered once, then retrieve is 404', async () => {
    const queueId = await queue(promptOf());
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
      delete_media_on_completion: true,
    });
    assert.equal(media.status, 200);
    assert.ok(Buffer.from(await media.arrayBuffer()).equals(upstream.video));
    const gone = await until('the delivered media to be deleted', async () => {
      const response = await post(rialto, '/video/retrieve', {
        model: 'wan-relay',
        queue_id: queueId,
      });
      if (response.status === 404) return response;
      await response.arrayBuffer();
      return undefined;
    });
    assert.deepEqual(await gone.json(), { error: MEDIA_NOT_FOUND });
  });

  it('402 when the balance cannot cover the quote, before any upstream call', async () => {
    const poorKey = (
      await rialto.keys.create({ apiKeyType: 'INFERENCE', description: 'poor', accountId: 'poor' })
    ).apiKey;
    await rialto.store.accounts.credit('poor', 'USD', toNanos(QUOTE_5S / 2));
    const prompt = promptOf();
    const response = await post(
      rialto,
      '/video/queue',
      { model: 'wan-relay', prompt, duration: '5s' },
      poorKey,
    );
    assert.equal(response.status, 402);
    const body: unknown = await response.json();
    validateResponse({ method: 'POST', path: '/video/queue', status: 402, body });
    assert.deepEqual(body, {
      error:
        'Insufficient USD or Diem balance to complete request. Visit https://venice.ai/settings/api to add credits.',
    });
    assert.deepEqual(await usdBalance(rialto, 'poor'), {
      balance: toNanos(QUOTE_5S / 2),
      reserved: 0,
    });
    assert.equal(upstream.queuesFor(prompt).length, 0);
  });

  it("another account's key, another model or an unknown queue_id: 404 on retrieve and complete", async () => {
    const queueId = await queue(promptOf());
    for (const [body, key] of [
      [{ model: 'wan-relay', queue_id: queueId }, otherKey],
      [{ model: 'wan-relay-i2v', queue_id: queueId }, rialto.inferenceKey],
      [{ model: 'no-such-model', queue_id: queueId }, rialto.inferenceKey],
      [
        { model: 'wan-relay', queue_id: '6f1c1d54-2c55-4f4e-9a43-2d7c7c1f0e11' },
        rialto.inferenceKey,
      ],
    ] as const) {
      for (const path of ['/video/retrieve', '/video/complete']) {
        const response = await post(rialto, path, body, key);
        assert.equal(response.status, 404, `${path} ${JSON.stringify(body)}`);
        assert.deepEqual(await response.json(), { error: MEDIA_NOT_FOUND });
      }
    }
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    await media.arrayBuffer();
  });

  it('an upstream failure: retrieve answers 500 with credits_refunded, and the quote is given back', async () => {
    const before = await usdBalance(rialto);
    const queueId = await queue(promptOf(FAIL_MARKERS.failure));
    const failed = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(failed.status, 500);
    const body = (await failed.json()) as { error: string; credits_refunded: boolean };
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
    // The upstream's words, not its address.
    assert.deepEqual(body, {
      error: 'Inference processing failed. Credits have been refunded.',
      credits_refunded: true,
    });
    assert.deepEqual(await usdBalance(rialto), before);
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status, amount }) => ({ status, amount })),
      [{ status: 'refunded_failed', amount: 0 }],
    );
    assert.deepEqual(
      await (
        await post(rialto, '/video/complete', { model: 'wan-relay', queue_id: queueId })
      ).json(),
      { success: true },
    );
    assert.equal(
      (await post(rialto, '/video/retrieve', { model: 'wan-relay', queue_id: queueId })).status,
      404,
    );
  });

  it('moderation (on retrieve, or at the upstream queue): 422 ProviderContentPolicyError with credits_refunded true, refunded', async () => {
    for (const marker of [FAIL_MARKERS.moderation, FAIL_MARKERS.rejectAtQueue]) {
      const before = await usdBalance(rialto);
      const queueId = await queue(promptOf(marker));
      const refused = await retrieveUntilDone(rialto, '/video/retrieve', {
        model: 'wan-relay',
        queue_id: queueId,
      });
      assert.equal(refused.status, 422, marker);
      const body = (await refused.json()) as {
        error: { type: string; credits_refunded: boolean; message: string };
      };
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 422, body });
      validateSchema('ProviderContentPolicyError', body);
      assert.equal(body.error.type, 'provider_content_policy');
      assert.equal(body.error.credits_refunded, true);
      assert.deepEqual(await usdBalance(rialto), before);
      assert.deepEqual(
        (await recordsOf(rialto, queueId)).map(({ status, amount }) => ({ status, amount })),
        [{ status: 'refunded_moderation', amount: 0 }],
      );
    }
  });

  it('the upstream goes away (at submission, then while the job runs) and comes back: the job completes, queued and billed once', async () => {
    // A worker claims the job for each step (attempts + 1): a step that began after down() has ended, having met the
    // closed port, once the job has been claimed again after it.
    const attempts = async (): Promise<number> => (await rialto.store.jobs.find(queueId))!.attempts;
    const stepsAfter = async (what: string, from: number): Promise<void> => {
      await until(what, async () => ((await attempts()) >= from + 2 ? true : undefined));
    };
    await upstream.down();
    const prompt = promptOf();
    const queueId = await queue(prompt);
    await stepsAfter('a submission to fail on the closed port', 0);
    assert.equal(upstream.queuesFor(prompt).length, 0);
    upstream.holding = true;
    await upstream.up();
    await until('the job to reach the upstream', async () =>
      upstream.queuesFor(prompt).length > 0 ? true : undefined,
    );
    await upstream.down();
    await stepsAfter('a poll to fail on the closed port', await attempts());
    upstream.holding = false;
    await upstream.up();
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'wan-relay',
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    assert.ok(Buffer.from(await media.arrayBuffer()).equals(upstream.video));
    assert.equal(upstream.queuesFor(prompt).length, 1);
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status, amount }) => ({ status, amount })),
      [{ status: 'completed', amount: toNanos(QUOTE_5S) }],
    );
  });

  it('a private model: the media comes from the download_url (fetched without a key), which is then revoked', async () => {
    const prompt = promptOf();
    const response = await post(rialto, '/video/queue', {
      model: 'grok-private',
      prompt,
      duration: '5s',
    });
    assert.equal(response.status, 200);
    const { queue_id: queueId } = (await response.json()) as { queue_id: string };
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: 'grok-private',
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    assert.ok(Buffer.from(await media.arrayBuffer()).equals(privateUpstream.video));
    const downloads = privateUpstream.calls.filter((call) => call.path.startsWith('/share/read/'));
    assert.ok(
      downloads.some((call) => call.method === 'GET' && call.authorization === undefined),
      JSON.stringify(downloads),
    );
    await until('the download_url to be revoked', async () =>
      privateUpstream.calls.some(
        (call) => call.method === 'DELETE' && call.path.startsWith('/share/read/'),
      )
        ? true
        : undefined,
    );
  });

  it('videoDelivery download_url: queue answers a link, retrieve answers JSON COMPLETED, the link serves the MP4 without a key until DELETE revokes it', async () => {
    const prompt = promptOf();
    const before = await usdBalance(rialto);
    upstream.holding = true;
    const queued = await post(rialto, '/video/queue', {
      model: 'wan-link',
      prompt,
      duration: '5s',
      resolution: '720p',
    });
    const body = (await queued.json()) as { model: string; queue_id: string; download_url: string };
    assert.equal(queued.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
    const link = new URL(body.download_url);
    assert.equal(link.origin, rialto.origin);
    assert.match(link.pathname, /^\/share\/read\/[A-Za-z0-9_-]{43}$/);
    assert.ok(
      !(await rialto.store.jobs.find(body.queue_id))!.downloadTokenHash!.includes(
        link.pathname.slice(12),
      ),
      'only a hash of the token is stored',
    );

    const early = await fetch(link);
    assert.equal(early.status, 404, 'not ready before the video is done');
    await early.body?.cancel();
    upstream.holding = false;
    const status = await until('the job to complete', async () => {
      const response = await post(rialto, '/video/retrieve', {
        model: 'wan-link',
        queue_id: body.queue_id,
      });
      assert.equal(response.status, 200);
      assert.match(
        response.headers.get('content-type') ?? '',
        /^application\/json/,
        'a linked job is never retrieved inline',
      );
      const answer = (await response.json()) as { status: string };
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body: answer });
      return answer.status === 'COMPLETED' ? answer : undefined;
    });
    assert.equal(status.status, 'COMPLETED');

    for (let attempt = 0; attempt < 2; attempt++) {
      const download = await fetch(link);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'video/mp4');
      assert.equal(download.headers.get('cache-control'), 'private, no-store');
      assert.ok(
        Buffer.from(await download.arrayBuffer()).equals(upstream.video),
        'a dropped download can be fetched again',
      );
    }
    const wrong = await fetch(`${rialto.origin}/share/read/${'A'.repeat(43)}`);
    assert.deepEqual([wrong.status, await wrong.json()], [404, { error: MEDIA_NOT_FOUND }]);
    const revoked = await fetch(link, { method: 'DELETE' });
    assert.deepEqual([revoked.status, await revoked.json()], [200, { success: true }]);
    const gone = await fetch(link);
    assert.equal(gone.status, 410);
    await gone.body?.cancel();

    assert.deepEqual(
      (await recordsOf(rialto, body.queue_id)).map(({ status: state, amount }) => ({
        state,
        amount,
      })),
      [{ state: 'completed', amount: toNanos(QUOTE_5S) }],
    );
    assert.equal((await usdBalance(rialto)).balance, before.balance - toNanos(QUOTE_5S));
    const completed = await post(rialto, '/video/complete', {
      model: 'wan-link',
      queue_id: body.queue_id,
    });
    assert.deepEqual(await completed.json(), { success: true });
  });

  it('validation: 400 DetailedError for the schema and for what the model does not take, before any upstream call', async () => {
    const prompt = promptOf();
    const cases: [string, Record<string, unknown>, string][] = [
      ['/video/queue', { model: 'wan-relay', duration: '5s' }, 'prompt'],
      ['/video/queue', { model: 'wan-relay', prompt, duration: '7s' }, 'duration'],
      [
        '/video/queue',
        { model: 'wan-relay', prompt, duration: '5s', resolution: '480p' },
        'resolution',
      ],
      [
        '/video/queue',
        { model: 'wan-relay', prompt, duration: '5s', aspect_ratio: '1:1' },
        'aspect_ratio',
      ],
      ['/video/queue', { model: 'wan-relay', prompt: 'x'.repeat(201), duration: '5s' }, 'prompt'],
      ['/video/queue', { model: 'wan-relay-i2v', prompt, duration: '5s' }, 'image_url'],
      [
        '/video/queue',
        {
          model: 'wan-relay-i2v',
          prompt,
          duration: '5s',
          image_url: 'https://example.com/a.png',
          audio: true,
        },
        'audio',
      ],
      [
        '/video/queue',
        {
          model: 'wan-relay',
          prompt,
          duration: '5s',
          consents: {
            seedance: {
              confirmed_terms_and_privacy: true,
              confirmed_legal_right: true,
              confirmed_screening_acknowledged: true,
              consent_version: '1',
            },
          },
        },
        'consents',
      ],
      ['/video/retrieve', { model: 'wan-relay', queue_id: 'x', extra: 1 }, ''],
      ['/video/retrieve', { model: 'wan-relay' }, 'queue_id'],
      [
        '/video/complete',
        { model: 'wan-relay', queue_id: 'x', delete_media_on_completion: true },
        '',
      ],
    ];
    for (const [path, request, field] of cases) {
      const response = await post(rialto, path, request);
      assert.equal(response.status, 400, `${path} ${JSON.stringify(request)}`);
      const body = (await response.json()) as { error: string; details: Record<string, unknown> };
      validateResponse({ method: 'POST', path, status: 400, body });
      if (field === '')
        assert.match(JSON.stringify(body.details), /Unrecognized key\(s\) in object/);
      else assert.ok(field in body.details, `${field} in ${JSON.stringify(body.details)}`);
    }
    assert.equal(upstream.queuesFor(prompt).length, 0);
    assert.deepEqual(
      await (
        await post(rialto, '/video/queue', { model: 'no-such-model', prompt, duration: '5s' })
      ).json(),
      { error: 'Specified model not found' },
    );
    assert.equal(
      (await post(rialto, '/video/queue', { model: 'music-relay', prompt, duration: '5s' })).status,
      400,
    );
    assert.equal(
      (await post(rialto, '/video/queue', { model: 'wan-relay', prompt, duration: '5s' }, null))
        .status,
      401,
    );
  });

  it('/models?type=video: each model with its constraints (Video Model Constraints) and no pricing', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=video`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      data: { id: string; type: string; model_spec: Record<string, unknown> }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    assert.deepEqual(
      body.data.map((model) => model.id),
      ['wan-relay', 'wan-relay-i2v', 'grok-private', 'wan-link'],
    );
    const [relay] = body.data;
    assert.equal(relay!.type, 'video');
    assert.deepEqual(relay!.model_spec.constraints, CONSTRAINTS);
    assert.equal('pricing' in relay!.model_spec, false);
  });
});
