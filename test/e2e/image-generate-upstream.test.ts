// POST /image/generate against A1111 doubles that fail, are slow, down, protected by --api-auth, or several:
// billing (once per request, per image; released on failure), error mapping (503 MODEL_OFFLINE, 500
// INFERENCE_FAILED, 504 REQUEST_TIMEOUT), interrupting abandoned jobs without touching others' jobs,
// endpoint failover, and enhance_prompt through the default text model (the vLLM replay server).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import {
  startAutomatic1111Server,
  unusedUrl,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import {
  eventually,
  GENERATION_PRICE,
  imageModels,
  postGenerate,
  type GenerateAnswer,
} from './image-generate-support.ts';

const PATH = '/image/generate';

describe('POST /image/generate: upstream failures, billing and aborts (automatic1111)', () => {
  let a1111: Automatic1111Server;
  let guarded: Automatic1111Server;
  let spare: Automatic1111Server;
  let replay: ReplayServer;
  let rialto: TestRialto;
  let downUrl: string;
  const post = (body: unknown, signal?: AbortSignal): Promise<Response> =>
    postGenerate(rialto, body, {}, PATH, signal);
  const usage = () => rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
  const newUsage = async (earlier: Set<string>) =>
    (await usage()).filter((record) => !earlier.has(record.id));
  const usageIds = async () => new Set((await usage()).map((record) => record.id));

  before(async () => {
    a1111 = await startAutomatic1111Server();
    guarded = await startAutomatic1111Server({ auth: { username: 'alice', password: 's3cret:x' } });
    spare = await startAutomatic1111Server();
    replay = await startReplayServer({ flavor: 'vllm' });
    downUrl = await unusedUrl();
    const a1111Engine = { kind: 'automatic1111', endpoints: [{ url: a1111.url }] };
    rialto = await startRialto({
      models: [
        // The first text model is the default one enhance_prompt rewrites with.
        {
          id: 'writer',
          engine: {
            kind: 'openai-compatible',
            endpoints: [{ url: replay.url }],
            model: 'Qwen/Qwen3-8B',
          },
          pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } },
        },
        ...imageModels(a1111.url).filter((model) => model.type === 'image'),
        { id: 'sd-slow', type: 'image', engine: { ...a1111Engine, timeoutMs: 300 } },
        {
          id: 'sd-down',
          type: 'image',
          engine: { kind: 'automatic1111', endpoints: [{ url: downUrl }] },
        },
        {
          id: 'sd-guarded',
          type: 'image',
          engine: {
            kind: 'automatic1111',
            endpoints: [{ url: guarded.url, apiKey: 'alice:s3cret:x' }],
          },
        },
        {
          id: 'sd-wrong-password',
          type: 'image',
          engine: {
            kind: 'automatic1111',
            endpoints: [{ url: guarded.url, apiKey: 'alice:guess' }],
          },
        },
        {
          id: 'sd-failover',
          type: 'image',
          engine: {
            kind: 'automatic1111',
            endpoints: [
              { url: downUrl, name: 'gpu-down' },
              { url: spare.url, name: 'gpu-spare' },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await Promise.all([a1111?.close(), guarded?.close(), spare?.close(), replay?.close()]);
  });
  beforeEach(() => {
    for (const server of [a1111, guarded, spare]) {
      server.requests.length = 0;
      server.interrupts.length = 0;
      server.behavior =
        server === guarded ? { auth: { username: 'alice', password: 's3cret:x' } } : {};
    }
    replay.resetBehavior();
    replay.requests.length = 0;
  });

  it('charges generation price × images, once, as a completed image request', async () => {
    const earlier = await usageIds();
    const before = (await rialto.store.accounts.find('default'))?.usdBalance ?? 0;
    const response = await post({ model: 'sd-a1111', prompt: 'three pears', variants: 3 });
    assert.equal(response.status, 200);
    const added = await newUsage(earlier);
    assert.equal(added.length, 1);
    const [record] = added;
    assert.deepEqual(
      [record?.modelId, record?.modelType, record?.status],
      ['sd-a1111', 'image', 'completed'],
    );
    assert.equal(record?.amount, toNanos(GENERATION_PRICE * 3));
    assert.equal(
      (await rialto.store.accounts.find('default'))?.usdBalance,
      before - toNanos(GENERATION_PRICE * 3),
    );
  });

  it("a resolution-tier model is charged its tier's price (the default tier when none is asked for)", async () => {
    const earlier = await usageIds();
    assert.equal(
      (await post({ model: 'sd-tiers', prompt: 'a dune', resolution: '0.5K' })).status,
      200,
    );
    assert.equal((await post({ model: 'sd-tiers', prompt: 'a dune', variants: 2 })).status, 200);
    const amounts = (await newUsage(earlier)).map((record) => record.amount).sort((a, b) => a - b);
    assert.deepEqual(amounts, [toNanos(0.04), toNanos(0.05)]);
  });

  it('402 when the account cannot pay for the images: nothing reaches the WebUI', async () => {
    const poor = await startRialto({ models: imageModels(a1111.url) }, { balanceUsd: 0.015 });
    try {
      const response = await postGenerate(poor, {
        model: 'sd-a1111',
        prompt: 'two pears',
        variants: 2,
      });
      assert.equal(response.status, 402);
      validateResponse({ method: 'POST', path: PATH, status: 402, body: await response.json() });
      assert.equal(a1111.jobs().length, 0);
      assert.equal(
        (await postGenerate(poor, { model: 'sd-a1111', prompt: 'one pear' })).status,
        200,
      );
    } finally {
      await poor.close();
    }
  });

  it('an upstream 500 is 500 INFERENCE_FAILED; the reservation is released and nothing is charged', async () => {
    a1111.behavior = {
      failWith: {
        status: 500,
        body: { error: 'OutOfMemoryError', detail: '', body: '', errors: 'CUDA out of memory' },
      },
    };
    const earlier = await usageIds();
    const before = await rialto.store.accounts.find('default');
    const response = await post({ model: 'sd-a1111', prompt: 'a pear', variants: 2 });
    assert.equal(response.status, 500);
    const body = (await response.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 500, body });
    assert.equal(body.error, 'Inference processing failed');
    const added = await newUsage(earlier);
    assert.deepEqual(
      added.map((record) => [record.status, record.amount]),
      [['failed', 0]],
    );
    const afterwards = await rialto.store.accounts.find('default');
    assert.deepEqual(
      [afterwards?.usdBalance, afterwards?.usdReserved],
      [before?.usdBalance, before?.usdReserved],
    );
  });

  it('an answer whose image does not decode is 500 INFERENCE_FAILED, charged nothing', async () => {
    a1111.behavior = {
      failWith: {
        status: 200,
        body: {
          images: [Buffer.from('not an image').toString('base64')],
          parameters: {},
          info: '{"seed": 1}',
        },
      },
    };
    const earlier = await usageIds();
    const response = await post({ model: 'sd-a1111', prompt: 'a pear' });
    assert.equal(response.status, 500);
    assert.equal(
      ((await response.json()) as { error: string }).error,
      'Inference processing failed',
    );
    assert.deepEqual(
      (await newUsage(earlier)).map((record) => [record.status, record.amount]),
      [['failed', 0]],
    );
  });

  it('an upstream that refuses connections is 503 MODEL_OFFLINE, charged nothing', async () => {
    const earlier = await usageIds();
    const response = await post({ model: 'sd-down', prompt: 'a pear' });
    assert.equal(response.status, 503);
    const body = (await response.json()) as { error: string };
    validateResponse({ method: 'POST', path: PATH, status: 503, body });
    assert.equal(body.error, 'The model is temporarily offline. Please try again later.');
    assert.deepEqual(
      (await newUsage(earlier)).map((record) => [record.status, record.amount]),
      [['failed', 0]],
    );
  });

  it("A1111's own refusal (unknown sampler: 404) is an inference failure, not the client's 4xx", async () => {
    const response = await post({ model: 'sd-a1111', prompt: 'a pear' });
    assert.equal(response.status, 200);
    a1111.behavior = {
      failWith: {
        status: 404,
        body: {
          error: 'HTTPException',
          detail: 'Sampler not found',
          body: '',
          errors: '404: Sampler not found',
        },
      },
    };
    assert.equal((await post({ model: 'sd-a1111', prompt: 'a pear' })).status, 500);
  });

  it('a generation past timeoutMs is 504 REQUEST_TIMEOUT, and its job is interrupted on the WebUI', async () => {
    a1111.behavior = { delayMs: 5000 };
    const earlier = await usageIds();
    const response = await post({ model: 'sd-slow', prompt: 'a slow pear' });
    assert.equal(response.status, 504);
    // The swagger documents no 504 on this path; the body is still a StandardError.
    validateSchema('StandardError', await response.json());
    const task = String(a1111.jobs()[0]?.force_task_id);
    assert.deepEqual(
      await eventually(() => (a1111.interrupts.length > 0 ? a1111.interrupts : undefined)),
      [task],
    );
    assert.deepEqual(
      (await newUsage(earlier)).map((record) => [record.status, record.amount]),
      [['failed', 0]],
    );
  });

  it('a client that leaves is not charged, and only its own job is interrupted: a queued one once it starts', async () => {
    a1111.behavior = { delayMs: 1500 };
    const earlier = await usageIds();
    const kept = post({ model: 'sd-a1111', prompt: 'the kept job' });
    await eventually(() => (a1111.jobs().length === 1 ? true : undefined));
    const leaving = new AbortController();
    const left = post({ model: 'sd-a1111', prompt: 'the abandoned job' }, leaving.signal).catch(
      (error: unknown) => error,
    );
    await eventually(() => (a1111.jobs().length === 2 ? true : undefined));
    leaving.abort();
    assert.ok((await left) instanceof Error);
    const keptResponse = await kept;
    assert.equal(keptResponse.status, 200);
    assert.equal(((await keptResponse.json()) as GenerateAnswer).images.length, 1);
    const [keptTask, abandonedTask] = a1111.jobs().map((job) => String(job.force_task_id));
    // The abandoned job waited in A1111's queue behind the kept one; it is interrupted once it runs, never before.
    assert.deepEqual(
      await eventually(() => (a1111.interrupts.length > 0 ? a1111.interrupts : undefined)),
      [abandonedTask],
    );
    assert.notEqual(keptTask, abandonedTask);
    const added = await eventually(async () => {
      const records = await newUsage(earlier);
      return records.length === 2 ? records : undefined;
    });
    assert.deepEqual(added.map((record) => [record.status, record.amount]).sort(), [
      ['client_disconnected', 0],
      ['completed', toNanos(GENERATION_PRICE)],
    ]);
  });

  it("a WebUI without /internal/progress (a fork): the abandoned job is interrupted when it is the engine's only one", async () => {
    a1111.behavior = { delayMs: 3000, progressApi: false };
    const leaving = new AbortController();
    const left = post({ model: 'sd-a1111', prompt: 'alone' }, leaving.signal).catch(
      (error: unknown) => error,
    );
    await eventually(() => (a1111.jobs().length === 1 ? true : undefined));
    leaving.abort();
    await left;
    assert.deepEqual(
      await eventually(() => (a1111.interrupts.length > 0 ? a1111.interrupts : undefined)),
      [String(a1111.jobs()[0]?.force_task_id)],
    );
  });

  it('--api-auth: "user:pass" as apiKey is sent as HTTP Basic; wrong credentials are an inference failure', async () => {
    const response = await post({ model: 'sd-guarded', prompt: 'a locked door' });
    assert.equal(response.status, 200, await response.clone().text());
    const [request] = guarded.requests.filter((item) => item.path === '/sdapi/v1/txt2img');
    assert.equal(
      request?.headers.authorization,
      `Basic ${Buffer.from('alice:s3cret:x').toString('base64')}`,
    );
    const refused = await post({ model: 'sd-wrong-password', prompt: 'a locked door' });
    assert.equal(refused.status, 500);
    validateResponse({ method: 'POST', path: PATH, status: 500, body: await refused.json() });
  });

  it('failover: a refused connection moves on to the next endpoint, named in x-venice-model-router', async () => {
    const response = await post({ model: 'sd-failover', prompt: 'a spare tyre' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-model-router'), 'automatic1111/gpu-spare');
    assert.equal(spare.jobs().length, 1);
  });

  it('enhance_prompt: the default text model rewrites the prompt, the WebUI gets the rewrite, the header carries it URL-encoded', async () => {
    const earlier = await usageIds();
    // The replay server answers a user message containing "#plain" with its recorded completion.
    const response = await post({
      model: 'sd-a1111',
      prompt: 'a lighthouse #plain',
      enhance_prompt: true,
      style_preset: 'Anime',
      seed: 3,
    });
    assert.equal(response.status, 200);
    const rewrite = 'Hello there, nice to meet!';
    assert.equal(response.headers.get('x-venice-enhanced-prompt'), encodeURIComponent(rewrite));
    assert.ok(String(a1111.jobs()[0]?.prompt).includes(rewrite), String(a1111.jobs()[0]?.prompt));
    const [chat] = replay.requests.filter((request) => request.path === '/v1/chat/completions');
    const messages = (chat!.body as { messages: { role: string; content: string }[] }).messages;
    assert.deepEqual(
      messages.map((message) => message.role),
      ['system', 'user'],
    );
    assert.equal(messages[1]?.content, 'a lighthouse #plain');
    assert.ok(
      messages[0]?.content.includes('suitable for all audiences'),
      'safe_mode (default true) asks for a safe rewrite',
    );
    const added = await newUsage(earlier);
    assert.deepEqual(added.map((record) => [record.modelId, record.modelType]).sort(), [
      ['sd-a1111', 'image'],
      ['writer', 'text'],
    ]);
  });

  it('enhance_prompt fails open: when the text model fails, the original prompt is used and no header is sent', async () => {
    replay.setBehavior({ failWith: { status: 500, body: { error: { message: 'boom' } } } });
    const response = await post({
      model: 'sd-a1111',
      prompt: 'a lighthouse',
      enhance_prompt: true,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-venice-enhanced-prompt'), null);
    assert.equal(a1111.jobs()[0]?.prompt, 'a lighthouse');
  });
});
