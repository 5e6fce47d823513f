// Venice's own documentation examples for the async job API, sent as the docs write them (issue #18's four
// fixes): video-upscaling.mdx's queue without prompt or duration, and its retrieve and complete with only
// queue_id; reference-to-video.mdx's bare-seconds "duration": "8"; the same rules on /video/quote and on the
// audio quote, queue, retrieve and complete. Engine: `venice`, relaying to the Venice job API double.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';
import { post, price, recordsOf, retrieveUntilDone, ZERO } from './jobs-support.ts';

const VIDEO_PRICING = {
  input: ZERO,
  output: ZERO,
  generation: price(0.05),
  per_second: price(0.01),
};

describe('documentation examples of the job API (venice engine, SQLite)', () => {
  let upstream: VeniceJobsServer;
  let rialto: TestRialto;

  before(async () => {
    upstream = await VeniceJobsServer.start({ pollsUntilDone: 1 });
    const venice = { kind: 'venice', endpoints: [{ url: upstream.url }] };
    rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50 },
        models: [
          {
            id: 'topaz-video-upscale',
            type: 'video',
            engine: venice,
            videoUpscale: true,
            videoConstraints: { model_type: 'video', durations: ['300s'] },
            pricing: VIDEO_PRICING,
          },
          {
            id: 'kling-o3-pro-reference-to-video',
            type: 'video',
            engine: venice,
            videoConstraints: {
              model_type: 'text-to-video',
              durations: ['5s', '8s', '10s'],
              aspect_ratios: ['16:9', '9:16'],
              audio: true,
              audio_configurable: true,
            },
            pricing: VIDEO_PRICING,
          },
          {
            id: 'elevenlabs-music',
            type: 'music',
            engine: venice,
            music: { supports_force_instrumental: true, max_duration: 300, default_duration: 30 },
            pricing: { input: ZERO, output: ZERO, per_second: price(0.025) },
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

  it('video-upscaling.mdx: queue with video_url and upscale_factor only; retrieve and complete with only queue_id', async () => {
    const queued = await post(rialto, '/video/queue', {
      model: 'topaz-video-upscale',
      video_url: 'https://example.com/input-video.mp4',
      upscale_factor: 2,
    });
    assert.equal(queued.status, 200, await queued.clone().text());
    const body = (await queued.json()) as { model: string; queue_id: string };
    validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
    assert.equal(body.model, 'topaz-video-upscale');

    const done = await retrieveUntilDone(rialto, '/video/retrieve', { queue_id: body.queue_id });
    assert.equal(done.status, 200, await done.clone().text());
    assert.equal(done.headers.get('content-type'), 'video/mp4');
    assert.ok((await done.arrayBuffer()).byteLength > 0);
    // Relayed as sent: no prompt was made up for the engine.
    const relayed = upstream.callsTo('/api/v1/video/queue').at(-1)!.body!;
    assert.equal('prompt' in relayed, false);
    assert.equal(relayed.upscale_factor, 2);

    const completed = await post(rialto, '/video/complete', { queue_id: body.queue_id });
    assert.equal(completed.status, 200);
    const success: unknown = await completed.json();
    validateResponse({ method: 'POST', path: '/video/complete', status: 200, body: success });
    assert.deepEqual(success, { success: true });
    assert.equal((await post(rialto, '/video/retrieve', { queue_id: body.queue_id })).status, 404);
    // Priced as the longest input the model lists (300 s): $0.05 + 300 × $0.01, charged once.
    const records = await recordsOf(rialto, body.queue_id);
    assert.deepEqual(
      records.map((record) => [record.status, record.amount]),
      [['completed', toNanos(3.05)]],
    );
  });

  it('video-upscaling.mdx: the quote example ("duration": "10", input_height) answers what queue reserves', async () => {
    const response = await post(
      rialto,
      '/video/quote',
      { model: 'topaz-video-upscale', duration: '10', input_height: 720 },
      null,
    );
    assert.equal(response.status, 200, await response.clone().text());
    const body: unknown = await response.json();
    validateResponse({ method: 'POST', path: '/video/quote', status: 200, body });
    assert.deepEqual(body, { quote: 3.05 });
  });

  it('video-upscaling.mdx: prompt and resolution are errors on an upscale model; prompt and duration stay required on others', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { model: 'topaz-video-upscale', video_url: 'https://e.com/v.mp4', prompt: 'sharper' },
        'prompt',
      ],
      [
        { model: 'topaz-video-upscale', video_url: 'https://e.com/v.mp4', resolution: '720p' },
        'resolution',
      ],
      [{ model: 'topaz-video-upscale', upscale_factor: 2 }, 'video_url'],
      [{ model: 'kling-o3-pro-reference-to-video', duration: '8' }, 'prompt'],
      [{ model: 'kling-o3-pro-reference-to-video', prompt: 'a walk' }, 'duration'],
      [{ model: 'kling-o3-pro-reference-to-video', prompt: 'a walk', duration: '7' }, 'duration'],
      [{ model: 'kling-o3-pro-reference-to-video', prompt: 'a walk', duration: '45' }, 'duration'],
    ];
    for (const [request, field] of cases) {
      const response = await post(rialto, '/video/queue', request);
      assert.equal(response.status, 400, JSON.stringify(request));
      const body = (await response.json()) as { details: Record<string, unknown> };
      validateResponse({ method: 'POST', path: '/video/queue', status: 400, body });
      assert.ok(field in body.details, `${field} in ${JSON.stringify(body.details)}`);
    }
  });

  it('reference-to-video.mdx: the Kling O3 example with "duration": "8" is queued, and quoted as "8s"', async () => {
    const queued = await post(rialto, '/video/queue', {
      model: 'kling-o3-pro-reference-to-video',
      prompt: '@Element1 walks through @Image1, camera tracking from behind',
      duration: '8',
      aspect_ratio: '16:9',
      audio: true,
      elements: [
        {
          frontal_image_url: 'https://example.com/character-front.jpg',
          reference_image_urls: [
            'https://example.com/character-side.jpg',
            'https://example.com/character-angle.jpg',
          ],
        },
      ],
      image_urls: ['https://example.com/scene-background.jpg'],
    });
    assert.equal(queued.status, 200, await queued.clone().text());
    const body = (await queued.json()) as { queue_id: string };
    validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
    const done = await retrieveUntilDone(rialto, '/video/retrieve', { queue_id: body.queue_id });
    assert.equal(done.status, 200);
    await done.arrayBuffer();
    assert.equal(upstream.callsTo('/api/v1/video/queue').at(-1)!.body!.duration, '8s');
    const quotes = await Promise.all(
      ['8', '8s'].map(async (duration) => {
        const response = await post(
          rialto,
          '/video/quote',
          { model: 'kling-o3-pro-reference-to-video', duration },
          null,
        );
        assert.equal(response.status, 200);
        return response.json();
      }),
    );
    assert.deepEqual(quotes, [{ quote: 0.13 }, { quote: 0.13 }]);
    const records = await recordsOf(rialto, body.queue_id);
    assert.deepEqual(
      records.map((record) => [record.status, record.amount]),
      [['completed', toNanos(0.13)]],
    );
  });

  it('music-and-sound-effects.mdx: quote and queue as written; retrieve and complete with only queue_id', async () => {
    const quote = await post(
      rialto,
      '/audio/quote',
      { model: 'elevenlabs-music', duration_seconds: 30 },
      null,
    );
    assert.equal(quote.status, 200);
    assert.deepEqual(await quote.json(), { quote: 0.75 });
    const queued = await post(rialto, '/audio/queue', {
      model: 'elevenlabs-music',
      prompt: 'Warm cinematic strings with a gentle piano melody, hopeful and spacious',
      duration_seconds: '30',
      force_instrumental: true,
    });
    assert.equal(queued.status, 200, await queued.clone().text());
    const body = (await queued.json()) as { queue_id: string };
    validateResponse({ method: 'POST', path: '/audio/queue', status: 200, body });
    const done = await retrieveUntilDone(rialto, '/audio/retrieve', { queue_id: body.queue_id });
    assert.equal(done.status, 200, await done.clone().text());
    assert.equal(done.headers.get('content-type'), 'audio/mpeg');
    await done.arrayBuffer();
    const completed = await post(rialto, '/audio/complete', { queue_id: body.queue_id });
    assert.equal(completed.status, 200);
    const success: unknown = await completed.json();
    validateResponse({ method: 'POST', path: '/audio/complete', status: 200, body: success });
    assert.deepEqual(success, { success: true });
    assert.equal((await post(rialto, '/audio/retrieve', { queue_id: body.queue_id })).status, 404);
    // A queue_id of another kind is not found by the other API.
    assert.equal((await post(rialto, '/video/retrieve', { queue_id: body.queue_id })).status, 404);
  });
});
