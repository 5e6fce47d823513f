// The API-key admin endpoints (swagger /api_keys, /api_keys/{id}; INVENTORY §1 rows 13–17, §7) through real HTTP:
// every answer is checked against the swagger, and what a key can do after create, update and delete is driven.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { MAX_STORED_LIMIT } from '../../src/services/api-key-views.ts';
import { MAX_ACTIVE_KEYS_PER_ACCOUNT } from '../../src/services/key-service.ts';
import { periodOf } from '../../src/services/billing/limit-period.ts';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  text: string;
  body: Json;
}

let rialto: TestRialto;

before(async () => {
  rialto = await startRialto({});
});

after(async () => {
  await rialto.close();
});

async function call(
  method: string,
  path: string,
  options: { key?: string; body?: unknown; validate?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.key ?? rialto.adminKey}`,
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const parsed: unknown = JSON.parse(text);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), text);
  const body = parsed as Json;
  if (options.validate !== false) validateResponse({ method, path, status: response.status, body });
  return { status: response.status, text, body };
}

function data(answer: Answer): Json {
  assert.ok(typeof answer.body.data === 'object' && answer.body.data !== null, answer.text);
  return answer.body.data as Json;
}

function list(answer: Answer): Json[] {
  assert.ok(Array.isArray(answer.body.data), answer.text);
  return answer.body.data as Json[];
}

async function create(
  body: Json,
  key?: string,
): Promise<{ apiKey: string; id: string; data: Json }> {
  const answer = await call('POST', '/api_keys', { body, ...(key === undefined ? {} : { key }) });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.success, true);
  const created = data(answer);
  assert.equal(typeof created.apiKey, 'string');
  assert.equal(typeof created.id, 'string');
  return { apiKey: String(created.apiKey), id: String(created.id), data: created };
}

/** Whether `key` passes authentication: an unknown model is a 404 after auth, a 401 before it. */
async function authenticates(key: string): Promise<boolean> {
  const response = await fetch(`${rialto.baseURL}/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'no-such-model', input: 'hi' }),
  });
  await response.text();
  assert.ok(
    response.status === 401 || response.status === 404,
    `unexpected status ${response.status}`,
  );
  return response.status === 404;
}

function assertBadRequest(answer: Answer, message: RegExp): void {
  assert.equal(answer.status, 400, answer.text);
  assert.match(answer.text, message);
}

describe('POST /api_keys', () => {
  it('creates a key in the spec shape whose secret authenticates', async () => {
    const created = await create({
      apiKeyType: 'INFERENCE',
      description: 'my app',
      expiresAt: '2999-01-02',
      consumptionLimit: { usd: 12.5, diem: null },
      limitPeriod: 'MONTH',
      modelPrivacy: 'PRIVATE_TEXT',
    });
    assert.deepEqual(
      { ...created.data, apiKey: undefined, id: undefined },
      {
        apiKey: undefined,
        id: undefined,
        apiKeyType: 'INFERENCE',
        consumptionLimit: { usd: 12.5, diem: null, vcu: null },
        limitPeriod: 'MONTH',
        modelPrivacy: 'PRIVATE_TEXT',
        description: 'my app',
        expiresAt: '2999-01-02T00:00:00.000Z',
      },
    );
    assert.match(created.apiKey, /^rk-/);
    assert.equal(await authenticates(created.apiKey), true);
  });

  it('defaults: no expiry, no limits, EPOCH, ALL; "" means no expiry; a datetime keeps its milliseconds', async () => {
    const plain = await create({ apiKeyType: 'ADMIN', description: '' });
    assert.equal(plain.data.expiresAt, null);
    assert.deepEqual(plain.data.consumptionLimit, { usd: null, diem: null, vcu: null });
    assert.equal(plain.data.limitPeriod, 'EPOCH');
    assert.equal(plain.data.modelPrivacy, 'ALL');
    assert.equal(
      (await create({ apiKeyType: 'INFERENCE', description: 'x', expiresAt: '' })).data.expiresAt,
      null,
    );
    const precise = await create({
      apiKeyType: 'INFERENCE',
      description: 'x',
      expiresAt: '2999-03-04T05:06:07.891Z',
    });
    assert.equal(precise.data.expiresAt, '2999-03-04T05:06:07.891Z');
  });

  it('keeps limits exactly down to a nano, and caps the largest at what the store can hold', async () => {
    const created = await create({
      apiKeyType: 'INFERENCE',
      description: 'x',
      consumptionLimit: { usd: 0, diem: 9999999999, vcu: 0.000000001 },
    });
    assert.deepEqual(created.data.consumptionLimit, {
      usd: 0,
      diem: MAX_STORED_LIMIT,
      vcu: 0.000000001,
    });
    const fetched = data(await call('GET', `/api_keys/${created.id}`));
    assert.deepEqual(fetched.consumptionLimits, {
      usd: 0,
      diem: MAX_STORED_LIMIT,
      vcu: 0.000000001,
    });
    const large = await create({
      apiKeyType: 'INFERENCE',
      description: 'x',
      consumptionLimit: { usd: 1234567.891234567, diem: MAX_STORED_LIMIT },
    });
    assert.deepEqual(large.data.consumptionLimit, {
      usd: 1234567.891234567,
      diem: MAX_STORED_LIMIT,
      vcu: null,
    });
  });

  it('refuses unknown fields, long descriptions, bad dates and out-of-range limits with 400', async () => {
    const cases: Array<[Json, RegExp]> = [
      [
        { apiKeyType: 'ADMIN', description: 'x', name: 'y' },
        /Unrecognized key\(s\) in object: 'name'/,
      ],
      [
        { apiKeyType: 'ADMIN', description: 'x', consumptionLimit: { USD: 5 } },
        /Unrecognized key\(s\) in object: 'USD'/,
      ],
      [{ apiKeyType: 'ADMIN', description: 'd'.repeat(65) }, /description/],
      [{ apiKeyType: 'ADMIN' }, /Required/],
      [{ apiKeyType: 'ROOT', description: 'x' }, /apiKeyType/],
      [{ apiKeyType: 'ADMIN', description: 'x', expiresAt: '02/03/2999' }, /expiresAt must be/],
      [
        { apiKeyType: 'ADMIN', description: 'x', expiresAt: '2999-02-30' },
        /expiresAt is not a valid date/,
      ],
      [
        { apiKeyType: 'ADMIN', description: 'x', expiresAt: '2999-01-01T10:00:00+02:00' },
        /expiresAt must be/,
      ],
      [
        { apiKeyType: 'ADMIN', description: 'x', expiresAt: '2020-01-01' },
        /expiresAt must be in the future/,
      ],
      [{ apiKeyType: 'ADMIN', description: 'x', consumptionLimit: { usd: -1 } }, /usd/],
      [{ apiKeyType: 'ADMIN', description: 'x', consumptionLimit: { diem: 10000000000 } }, /diem/],
      [{ apiKeyType: 'ADMIN', description: 'x', consumptionLimit: { usd: '5' } }, /usd/],
      [{ apiKeyType: 'ADMIN', description: 'x', limitPeriod: 'WEEK' }, /limitPeriod/],
      [{ apiKeyType: 'ADMIN', description: 'x', modelPrivacy: 'NONE' }, /modelPrivacy/],
    ];
    for (const [body, message] of cases)
      assertBadRequest(await call('POST', '/api_keys', { body }), message);
  });

  it(`answers 429 once the account has ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active keys, and creates again after a delete`, async () => {
    const accountId = `crowded-${randomUUID()}`;
    const admin = await rialto.keys.create({
      apiKeyType: 'ADMIN',
      description: 'crowded admin',
      accountId,
    });
    for (let index = 1; index < MAX_ACTIVE_KEYS_PER_ACCOUNT; index += 1) {
      await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: `filler ${index}`,
        accountId,
      });
    }
    const refused = await call('POST', '/api_keys', {
      key: admin.apiKey,
      body: { apiKeyType: 'INFERENCE', description: 'one too many' },
    });
    assert.equal(refused.status, 429, refused.text);
    assert.match(String(refused.body.error), /at most 500 active API keys/);
    const victim = list(await call('GET', '/api_keys', { key: admin.apiKey })).at(-1);
    assert.equal(typeof victim?.id, 'string');
    assert.equal(
      (await call('DELETE', `/api_keys?id=${String(victim?.id)}`, { key: admin.apiKey })).status,
      200,
    );
    await create({ apiKeyType: 'INFERENCE', description: 'fits again' }, admin.apiKey);
  });
});

describe('GET /api_keys and /api_keys/{id}', () => {
  it('lists the active keys of the account with usage, never the secret or its hash', async () => {
    const created = await create({ apiKeyType: 'INFERENCE', description: 'listed' });
    const answer = await call('GET', '/api_keys');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.object, 'list');
    const item = list(answer).find((key) => key.id === created.id);
    assert.ok(item !== undefined, 'the new key is listed');
    assert.equal(item.last6Chars, created.apiKey.slice(-6));
    assert.equal(item.description, 'listed');
    assert.equal(typeof item.createdAt, 'string');
    assert.deepEqual(item.usage, {
      trailingSevenDays: { usd: '0.0000', diem: '0.0000', vcu: '0.0000' },
    });
    assert.equal('currentPeriodUsage' in item, false, 'no limit, no current period usage');
    const secret = created.apiKey.slice('rk-0123456789abcdef-'.length);
    assert.equal(secret.length, 43);
    assert.equal(answer.text.includes(secret), false);
    assert.equal(/secret|hash/i.test(answer.text), false);
  });

  it('gets one key by id, with the same fields as the list', async () => {
    const created = await create({
      apiKeyType: 'ADMIN',
      description: 'single',
      limitPeriod: 'LIFETIME',
    });
    const answer = await call('GET', `/api_keys/${created.id}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.body), ['data']);
    const key = data(answer);
    const listed = list(await call('GET', '/api_keys')).find((item) => item.id === created.id);
    assert.deepEqual(key, listed);
    assert.equal(key.apiKeyType, 'ADMIN');
    assert.equal(key.limitPeriod, 'LIFETIME');
    assert.equal(answer.text.includes(created.apiKey.slice(-20)), false);
  });

  it('reports trailing-seven-day and current-period spend as decimal strings', async () => {
    const created = await create({
      apiKeyType: 'INFERENCE',
      description: 'spender',
      consumptionLimit: { usd: 100 },
      limitPeriod: 'EPOCH',
    });
    const now = new Date();
    const reservationId = randomUUID();
    const outcome = await rialto.store.ledger.reserve({
      reservationId,
      accountId: 'default',
      keyId: created.id,
      period: periodOf('EPOCH', now),
      keyLimits: { USD: 100_000_000_000, DIEM: null },
      amount: 2_000_000_000,
      requestId: randomUUID(),
      modelId: 'tiny',
      createdAt: now.toISOString(),
      leaseUntil: new Date(now.getTime() + 60_000).toISOString(),
    });
    assert.deepEqual(outcome, { reserved: true, currency: 'USD' });
    assert.equal(
      await rialto.store.ledger.settle(reservationId, {
        modelType: 'text',
        amount: 1_234_567_891,
        promptTokens: 1,
        completionTokens: 1,
        cachedTokens: 0,
        status: 'success',
        executionMs: 1,
        createdAt: now.toISOString(),
      }),
      true,
    );
    const key = data(await call('GET', `/api_keys/${created.id}`));
    assert.deepEqual(key.usage, {
      trailingSevenDays: { usd: '1.234567891', diem: '0.0000', vcu: '0.0000' },
    });
    assert.deepEqual(key.currentPeriodUsage, { usd: '1.234567891', diem: '0.0000' });
  });

  it('hides keys of other accounts, unknown ids and deleted keys behind one 400', async () => {
    const foreign = await rialto.keys.create({
      apiKeyType: 'ADMIN',
      description: 'elsewhere',
      accountId: `other-${randomUUID()}`,
    });
    const mine = await create({ apiKeyType: 'INFERENCE', description: 'mine' });
    assert.equal(
      list(await call('GET', '/api_keys')).some((key) => key.id === foreign.record.id),
      false,
    );
    const theirs = list(await call('GET', '/api_keys', { key: foreign.apiKey }));
    assert.deepEqual(
      theirs.map((key) => key.id),
      [foreign.record.id],
    );
    assert.equal((await call('DELETE', `/api_keys?id=${mine.id}`)).status, 200);
    for (const id of [foreign.record.id, 'no-such-key', mine.id]) {
      const answer = await call('GET', `/api_keys/${encodeURIComponent(id)}`, { validate: false });
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(answer.body, { error: 'API key not found' });
    }
    const created = await create(
      { apiKeyType: 'INFERENCE', description: 'made by the other account' },
      foreign.apiKey,
    );
    assert.equal(
      list(await call('GET', '/api_keys')).some((key) => key.id === created.id),
      false,
    );
    assert.equal(
      (await call('GET', `/api_keys/${created.id}`, { key: foreign.apiKey })).status,
      200,
    );
  });
});

describe('PATCH /api_keys', () => {
  it('updates each field and answers the key without usage', async () => {
    const created = await create({
      apiKeyType: 'INFERENCE',
      description: 'before',
      expiresAt: '2999-01-01',
      consumptionLimit: { usd: 5, diem: 6, vcu: 7 },
    });
    const steps: Array<[Json, Json]> = [
      [{ description: 'after' }, { description: 'after' }],
      [{ expiresAt: '2998-05-06T07:08:09Z' }, { expiresAt: '2998-05-06T07:08:09.000Z' }],
      [{ expiresAt: null }, { expiresAt: null }],
      [{ expiresAt: '2997-01-01' }, { expiresAt: '2997-01-01T00:00:00.000Z' }],
      [{ expiresAt: '' }, { expiresAt: null }],
      [{ consumptionLimit: { usd: 1.5 } }, { consumptionLimits: { usd: 1.5, diem: 6, vcu: 7 } }],
      [
        { consumptionLimits: { diem: null, vcu: 0 } },
        { consumptionLimits: { usd: 1.5, diem: null, vcu: 0 } },
      ],
      [{ limitPeriod: 'LIFETIME' }, { limitPeriod: 'LIFETIME' }],
      [{ modelPrivacy: 'PRIVATE_ONLY' }, { modelPrivacy: 'PRIVATE_ONLY' }],
    ];
    for (const [change, expected] of steps) {
      const answer = await call('PATCH', '/api_keys', { body: { id: created.id, ...change } });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.success, true);
      const key = data(answer);
      assert.equal('usage' in key, false);
      for (const [field, value] of Object.entries(expected))
        assert.deepEqual(key[field], value, `${JSON.stringify(change)} → ${field}`);
    }
    const fetched = data(await call('GET', `/api_keys/${created.id}`));
    assert.deepEqual(
      { ...fetched, usage: undefined, currentPeriodUsage: undefined, lastUsedAt: undefined },
      {
        apiKeyType: 'INFERENCE',
        consumptionLimits: { usd: 1.5, diem: null, vcu: 0 },
        limitPeriod: 'LIFETIME',
        modelPrivacy: 'PRIVATE_ONLY',
        createdAt: fetched.createdAt,
        description: 'after',
        expiresAt: null,
        id: created.id,
        last6Chars: created.apiKey.slice(-6),
        usage: undefined,
        currentPeriodUsage: undefined,
        lastUsedAt: undefined,
      },
    );
    assert.deepEqual(fetched.currentPeriodUsage, { usd: '0.0000', diem: '0.0000' });
    assert.equal(await authenticates(created.apiKey), true);
  });

  it('refuses bad bodies and unknown ids with 400', async () => {
    const created = await create({ apiKeyType: 'INFERENCE', description: 'patched' });
    const cases: Array<[Json, RegExp]> = [
      [{ id: created.id, apiKeyType: 'ADMIN' }, /Unrecognized key\(s\) in object: 'apiKeyType'/],
      [{ description: 'no id' }, /Required/],
      [{ id: created.id, description: 'd'.repeat(65) }, /description/],
      [{ id: created.id, expiresAt: 'tomorrow' }, /expiresAt must be/],
      [{ id: created.id, consumptionLimit: { usd: -0.5 } }, /usd/],
      [{ id: created.id, consumptionLimit: { usd: 1 }, consumptionLimits: { usd: 1 } }, /not both/],
      [{ id: 'no-such-key', description: 'x' }, /API key not found/],
    ];
    for (const [body, message] of cases)
      assertBadRequest(await call('PATCH', '/api_keys', { body }), message);
    assert.equal(data(await call('GET', `/api_keys/${created.id}`)).description, 'patched');
  });
});

describe('DELETE /api_keys', () => {
  it('revokes the key: it no longer authenticates or lists, and a second delete is a 400', async () => {
    const created = await create({ apiKeyType: 'ADMIN', description: 'doomed' });
    assert.equal(await authenticates(created.apiKey), true);
    const answer = await call('DELETE', `/api_keys?id=${created.id}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { success: true });
    assert.equal(await authenticates(created.apiKey), false);
    const refused = await call('GET', '/api_keys', { key: created.apiKey });
    assert.equal(refused.status, 401);
    assert.equal(
      list(await call('GET', '/api_keys')).some((key) => key.id === created.id),
      false,
    );
    assertBadRequest(await call('DELETE', `/api_keys?id=${created.id}`), /API key not found/);
    assertBadRequest(await call('DELETE', '/api_keys'), /Required/);
  });
});

describe('an INFERENCE key', () => {
  it('gets 403 on every API-key route and changes nothing', async () => {
    const target = await create({ apiKeyType: 'INFERENCE', description: 'target' });
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/api_keys', undefined],
      ['GET', `/api_keys/${target.id}`, undefined],
      ['POST', '/api_keys', { apiKeyType: 'ADMIN', description: 'escalate' }],
      ['PATCH', '/api_keys', { id: target.id, description: 'hijacked' }],
      ['DELETE', `/api_keys?id=${target.id}`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const answer = await call(method, path, { key: rialto.inferenceKey, body, validate: false });
      assert.equal(answer.status, 403, `${method} ${path}: ${answer.text}`);
      assert.deepEqual(answer.body, { error: 'Unauthorized access' });
    }
    const after = data(await call('GET', `/api_keys/${target.id}`));
    assert.equal(after.description, 'target');
    assert.equal(
      list(await call('GET', '/api_keys')).filter((key) => key.description === 'escalate').length,
      0,
    );
  });

  it('and a missing key gets 401 on each route', async () => {
    for (const [method, path] of [
      ['GET', '/api_keys'],
      ['GET', '/api_keys/x'],
      ['POST', '/api_keys'],
      ['PATCH', '/api_keys'],
      ['DELETE', '/api_keys?id=x'],
    ] as const) {
      const response = await fetch(`${rialto.baseURL}${path}`, { method });
      const body: unknown = await response.json();
      assert.equal(response.status, 401, `${method} ${path}`);
      validateResponse({ method, path, status: response.status, body });
    }
  });
});
