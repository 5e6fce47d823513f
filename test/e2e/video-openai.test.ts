// The Venice video lifecycle through Rialto on the openai-compatible video engine: /video/queue, /video/retrieve
// until the MP4 arrives (byte for byte the upstream's), /video/complete; billing (charged once on success,
// refunded on moderation and failure), the mapping sent upstream, and an upstream that fails for a while.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  startOpenAiVideosServer,
  type OpenAiVideosServer,
} from '../support/upstream/openai-videos-server.ts';
import { toNanos } from '../../src/services/billing/money.ts';

const BOUND_MS = 60_000;
const PER_SECOND_USD = 0.1;

async function post(rialto: TestRialto, path: string, body: unknown): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.inferenceKey}` },
  });
}

/** Retrieves until the answer is no longer PROCESSING; that answer and the PROCESSING bodies seen before it. */
async function retrieveUntilDone(
  rialto: TestRialto,
  queueId: string,
): Promise<{ response: Response; processing: unknown[] }> {
  const processing: unknown[] = [];
  const end = Date.now() + BOUND_MS;
  for (;;) {
    const response = await post(rialto, '/video/retrieve', { model: 'sora-2', queue_id: queueId });
    if (
      response.status !== 200 ||
      !(response.headers.get('content-type') ?? '').startsWith('application/json')
    )
      return { response, processing };
    const body = (await response.json()) as { status: string };
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body });
    assert.equal(body.status, 'PROCESSING');
    processing.push(body);
    if (Date.now() > end) assert.fail(`job ${queueId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function queue(rialto: TestRialto, request: Record<string, unknown>): Promise<string> {
  const response = await post(rialto, '/video/queue', {
    model: 'sora-2',
    prompt: 'a gondola at dawn',
    duration: '8s',
    aspect_ratio: '9:16',
    resolution: '720p',
    ...request,
  });
  const body = (await response.json()) as { model: string; queue_id: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
  assert.equal(body.model, 'sora-2');
  return body.queue_id;
}

async function usdBalance(rialto: TestRialto): Promise<number> {
  return (await rialto.store.accounts.find('default'))!.usdBalance;
}

describe('video jobs on an OpenAI-compatible /v1/videos upstream', () => {
  let upstream: OpenAiVideosServer;
  let rialto: TestRialto;
  before(async () => {
    upstream = await startOpenAiVideosServer({ pollsToComplete: 4, apiKey: 'sk-upstream' });
    rialto = await startRialto({
      jobs: { pollIntervalMs: 50 },
      models: [
        {
          id: 'sora-2',
          type: 'video',
          engine: {
            kind: 'openai-compatible',
            endpoints: [{ url: upstream.url, apiKey: 'sk-upstream', name: 'sora' }],
          },
          videoConstraints: {
            durations: ['4s', '8s', '12s'],
            aspect_ratios: ['16:9', '9:16'],
            resolutions: ['720p'],
            audio: true,
          },
          pricing: {
            input: { usd: 0, diem: 0 },
            output: { usd: 0, diem: 0 },
            per_second: { usd: PER_SECOND_USD, diem: PER_SECOND_USD },
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await upstream?.close();
  });

  it('queue → retrieve (PROCESSING, then the MP4) → complete; charged the quote once; the upstream video is deleted', async () => {
    const before = await usdBalance(rialto);
    const queueId = await queue(rialto, {});
    const { response, processing } = await retrieveUntilDone(rialto, queueId);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await response.arrayBuffer());
    validateResponse({
      method: 'POST',
      path: '/video/retrieve',
      status: 200,
      contentType: 'video/mp4',
      body: bytes,
    });
    assert.ok(bytes.equals(upstream.mp4), 'the MP4 is the upstream’s, byte for byte');
    assert.equal(response.headers.get('content-length'), String(upstream.mp4.length));
    assert.ok(processing.length >= 1, 'the job was seen running before it finished');

    const created = upstream.calls.filter(
      (call) => call.method === 'POST' && call.fields.prompt === 'a gondola at dawn',
    );
    assert.equal(created.length, 1);
    assert.deepEqual(created[0]!.fields, {
      model: 'sora-2',
      prompt: 'a gondola at dawn',
      seconds: '8',
      size: '720x1280',
    });
    assert.equal(created[0]!.authorization, 'Bearer sk-upstream');
    assert.equal(await usdBalance(rialto), before - toNanos(8 * PER_SECOND_USD));

    const videoId = [...upstream.videos.values()].find(
      (video) => video.prompt === 'a gondola at dawn',
    )!.id;
    assert.ok(
      upstream.calls.some(
        (call) => call.method === 'DELETE' && call.path === `/v1/videos/${videoId}`,
      ),
      'the upstream copy was cleaned up',
    );

    const completed = await post(rialto, '/video/complete', { model: 'sora-2', queue_id: queueId });
    const completeBody = await completed.json();
    validateResponse({
      method: 'POST',
      path: '/video/complete',
      status: completed.status,
      body: completeBody,
    });
    assert.deepEqual([completed.status, completeBody], [200, { success: true }]);
    const again = await post(rialto, '/video/retrieve', { model: 'sora-2', queue_id: queueId });
    assert.equal(again.status, 404);
    await again.body?.cancel();
    assert.equal(await usdBalance(rialto), before - toNanos(8 * PER_SECOND_USD), 'charged once');
  });

  it('moderation (during generation, or at create) answers 422 provider_content_policy with the credits refunded', async () => {
    const before = await usdBalance(rialto);
    for (const prompt of ['a scene #moderation', 'a scene #sentinel']) {
      const queueId = await queue(rialto, { prompt });
      const { response } = await retrieveUntilDone(rialto, queueId);
      const body = (await response.json()) as {
        error: { type: string; credits_refunded: boolean };
      };
      assert.equal(response.status, 422, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 422, body });
      assert.deepEqual(
        [body.error.type, body.error.credits_refunded],
        ['provider_content_policy', true],
      );
    }
    assert.equal(await usdBalance(rialto), before);
  });

  it('a failed generation answers 500 with the credits refunded', async () => {
    const before = await usdBalance(rialto);
    const queueId = await queue(rialto, {
      prompt: 'a scene #fail',
      duration: '4s',
      aspect_ratio: '16:9',
    });
    const { response } = await retrieveUntilDone(rialto, queueId);
    const body = (await response.json()) as { credits_refunded?: boolean };
    assert.equal(response.status, 500, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
    assert.equal(body.credits_refunded, true);
    assert.equal(await usdBalance(rialto), before);
    const sent = upstream.calls.find((call) => call.fields.prompt === 'a scene #fail')!;
    assert.deepEqual([sent.fields.seconds, sent.fields.size], ['4', '1280x720']);
  });

  it('an upstream answering 500 for a while: the job is retried (not failed) and completes, with one video created', async () => {
    const prompt = 'a storm over the lagoon';
    upstream.failNext(3, 500);
    const first = upstream.calls.length;
    const queueId = await queue(rialto, { prompt });
    const { response } = await retrieveUntilDone(rialto, queueId);
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(upstream.mp4));
    // A refused create is answered before its form is read: its fields are not recorded, so count every create since.
    const creates = upstream.calls
      .slice(first)
      .filter((call) => call.method === 'POST' && call.path === '/v1/videos');
    assert.equal(creates.length, 4, 'three refused creates, then the one that worked');
    assert.equal(
      [...upstream.videos.values()].filter((video) => video.prompt === prompt).length,
      1,
    );
  });
});
