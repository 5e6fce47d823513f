// GET /api_keys/rate_limits and /api_keys/rate_limits/log (INVENTORY §5.2, §5.3) through real HTTP: the limits
// each configured model is held to, the caller's balances and key, and a refusal showing up in the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromNanos } from '../../src/services/billing/money.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel, embeddingModel } from './upstream-support.ts';

type Json = Record<string, unknown>;

const PLAIN = [{ role: 'user', content: '#plain hi' }];
const FREE = { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } };

let replay: ReplayServer;

async function get(
  rialto: TestRialto,
  path: string,
  key: string,
): Promise<{ status: number; body: Json; text: string }> {
  const response = await fetch(`${rialto.baseURL}${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await response.text();
  const parsed: unknown = JSON.parse(text);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), text);
  validateResponse({ method: 'GET', path, status: response.status, body: parsed });
  return { status: response.status, body: parsed as Json, text };
}

/** The `data` of a 200 rate_limits answer. */
async function status(rialto: TestRialto, key: string): Promise<Json> {
  const answer = await get(rialto, '/api_keys/rate_limits', key);
  assert.equal(answer.status, 200, answer.text);
  assert.ok(typeof answer.body.data === 'object' && answer.body.data !== null, answer.text);
  return answer.body.data as Json;
}

function keyId(apiKey: string): string {
  const id = /^rk-([0-9a-f]{16})-/.exec(apiKey)?.[1];
  assert.ok(id !== undefined);
  return id;
}

before(async () => {
  replay = await startReplayServer({ flavor: 'vllm' });
});
after(async () => {
  await replay.close();
});

describe('rate limits on', () => {
  let rialto: TestRialto;

  before(async () => {
    rialto = await startRialto({
      systemPrompt: '',
      rateLimits: {
        enabled: true,
        overrides: { S: { requestsPerMinute: 2 }, embedding: { requestsPerMinute: 7 } },
      },
      models: [
        chatModel('paid', 'vllm', [replay.url]),
        { ...chatModel('free', 'vllm', [replay.url]), pricing: FREE, rateLimitTier: 'M' },
        embeddingModel('embed', 'vllm', replay.url),
      ],
    });
  });
  after(async () => {
    await rialto.close();
  });

  it('lists every model with its class limits, the balances, the tier and the key', async () => {
    const before = Date.now();
    const data = await status(rialto, rialto.inferenceKey);
    const account = (await rialto.store.accounts.find('default'))!;
    assert.deepEqual(data.rateLimits, [
      {
        apiModelId: 'paid',
        rateLimits: [
          { amount: 2, type: 'RPM' },
          { amount: 750_000, type: 'TPM' },
        ],
      },
      {
        apiModelId: 'free',
        rateLimits: [
          { amount: 50, type: 'RPM' },
          { amount: 750_000, type: 'TPM' },
        ],
      },
      { apiModelId: 'embed', rateLimits: [{ amount: 7, type: 'RPM' }] },
    ]);
    assert.deepEqual(data.apiTier, { id: 'paid', isCharged: true });
    assert.deepEqual(data.balances, {
      USD: fromNanos(account.usdBalance - account.usdReserved),
      DIEM: 0,
    });
    assert.equal(data.accessPermitted, true);
    assert.equal(data.keyExpiration, null);
    const next = String(data.nextEpochBegins);
    assert.match(next, /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    assert.ok(Date.parse(next) > before && Date.parse(next) <= before + 86_400_000, next);
  });

  it("reports the key's expiry, and a free model keeps access open on an empty account", async () => {
    const expiresAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1)).toISOString();
    const { apiKey } = await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'empty',
      accountId: 'empty-account',
      expiresAt,
    });
    const data = await status(rialto, apiKey);
    assert.equal(data.keyExpiration, expiresAt);
    assert.deepEqual(data.balances, { USD: 0, DIEM: 0 });
    assert.equal(data.accessPermitted, true);
  });

  it("logs a refusal of the caller's key after a 429, and only the caller's", async () => {
    const empty = await get(rialto, '/api_keys/rate_limits/log', rialto.inferenceKey);
    assert.deepEqual(empty.body, { object: 'list', data: [] });
    const send = (): Promise<Response> =>
      fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'paid', messages: PLAIN, max_tokens: 8 }),
      });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await send();
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const log = await get(rialto, '/api_keys/rate_limits/log', rialto.inferenceKey);
    assert.equal(log.status, 200, log.text);
    assert.equal(log.body.object, 'list');
    assert.ok(Array.isArray(log.body.data), log.text);
    assert.equal(log.body.data.length, 1, log.text);
    const { timestamp, ...breach } = log.body.data[0] as Json;
    assert.deepEqual(breach, {
      apiKeyId: keyId(rialto.inferenceKey),
      modelId: 'paid',
      rateLimitTier: 'S',
      rateLimitType: 'RPM',
    });
    assert.ok(typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp)), log.text);
    // An ADMIN key sees its own log, and may read the limits too.
    assert.deepEqual((await get(rialto, '/api_keys/rate_limits/log', rialto.adminKey)).body, {
      object: 'list',
      data: [],
    });
    assert.equal((await get(rialto, '/api_keys/rate_limits', rialto.adminKey)).status, 200);
  });

  it('answers 401 without a valid key', async () => {
    for (const path of ['/api_keys/rate_limits', '/api_keys/rate_limits/log']) {
      const answer = await get(rialto, path, 'rk-0000000000000000-wrong');
      assert.equal(answer.status, 401, answer.text);
    }
  });
});

describe('rate limits off', () => {
  let rialto: TestRialto;

  before(async () => {
    rialto = await startRialto({
      systemPrompt: '',
      models: [chatModel('paid', 'vllm', [replay.url])],
    });
  });
  after(async () => {
    await rialto.close();
  });

  it('lists no limits, logs nothing, and an empty account with only paid models has no access', async () => {
    const data = await status(rialto, rialto.inferenceKey);
    assert.deepEqual(data.rateLimits, [{ apiModelId: 'paid', rateLimits: [] }]);
    assert.equal(data.accessPermitted, true);
    assert.deepEqual((await get(rialto, '/api_keys/rate_limits/log', rialto.inferenceKey)).body, {
      object: 'list',
      data: [],
    });
    const { apiKey } = await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'empty',
      accountId: 'empty-account',
    });
    const empty = await status(rialto, apiKey);
    assert.equal(empty.accessPermitted, false);
    assert.deepEqual(empty.apiTier, { id: 'paid', isCharged: true });
  });
});
