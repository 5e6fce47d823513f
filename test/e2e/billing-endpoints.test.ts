// The billing read endpoints (swagger /billing/balance, /billing/usage, /billing/usage-history, /billing/usage-analytics;
// INVENTORY §6.3–6.6) through real HTTP over usage that real paid requests produced. Every documented answer is
// checked against the swagger; totals are checked against the store's usage records.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromNanos, toNanos } from '../../src/services/billing/money.ts';
import type { UsageRecord } from '../../src/storage/store.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel, embeddingModel } from './upstream-support.ts';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}
interface Entry {
  amount: number;
  currency: string;
  sku: string;
  timestamp: string;
  units: number;
  pricePerUnitUsd: number;
  notes: string;
  inferenceDetails: {
    requestId: string;
    promptTokens: number | null;
    completionTokens: number | null;
    inferenceExecutionTime: number | null;
  } | null;
}

const PLAIN = [{ role: 'user', content: '#plain hi' }];
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;

let replay: ReplayServer;
let rialto: TestRialto;

async function get(
  path: string,
  options: { key?: string | null; accept?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? rialto.adminKey}`;
  if (options.accept !== undefined) headers.accept = options.accept;
  const response = await fetch(`${rialto.baseURL}${path}`, { headers });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  const parsed: unknown = isJson ? JSON.parse(text) : {};
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), text);
  return { status: response.status, headers: response.headers, text, body: parsed as Json };
}

/** A JSON answer, checked against the swagger for its status. */
async function getValid(path: string, key?: string): Promise<Answer> {
  const answer = await get(path, key === undefined ? {} : { key });
  validateResponse({ method: 'GET', path, status: answer.status, body: answer.body });
  return answer;
}

function entriesOf(answer: Answer): Entry[] {
  assert.ok(Array.isArray(answer.body.data), answer.text);
  return answer.body.data as Entry[];
}

async function post(path: string, body: Json): Promise<void> {
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rialto.inferenceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
  await response.arrayBuffer().catch(() => undefined);
}

const chat = (model = 'paid'): Promise<void> =>
  post('/chat/completions', { model, messages: PLAIN, max_tokens: 8 });

async function records(): Promise<UsageRecord[]> {
  return rialto.store.usage.list({ accountId: 'default', limit: 10_000 });
}

/** Walks the history from `first` with its cursors; every page validated. */
async function walk(
  first: string,
  afterFirstPage: () => Promise<void> = async () => undefined,
): Promise<{ pages: Entry[][]; cursors: string[] }> {
  const pages: Entry[][] = [];
  const cursors: string[] = [];
  let path: string | undefined = first;
  while (path !== undefined) {
    const answer = await getValid(path);
    assert.equal(answer.status, 200, answer.text);
    pages.push(entriesOf(answer));
    if (pages.length === 1) await afterFirstPage();
    const next = answer.body.nextCursor;
    if (next === null) path = undefined;
    else {
      assert.ok(typeof next === 'string' && CURSOR.test(next), answer.text);
      cursors.push(next);
      path = `/billing/usage-history?cursor=${next}`;
    }
    assert.ok(pages.length < 100, 'the walk ends');
  }
  return { pages, cursors };
}

before(async () => {
  replay = await startReplayServer({ flavor: 'vllm' });
  rialto = await startRialto({
    systemPrompt: '',
    models: [
      chatModel('paid', 'vllm', [replay.url]),
      {
        ...chatModel('free', 'vllm', [replay.url]),
        pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } },
      },
      embeddingModel('embed', 'vllm', replay.url),
    ],
  });
  // One single-entry record first, so that page boundaries fall inside two-entry chat records.
  await post('/embeddings', { model: 'embed', input: 'billing history' });
  for (let index = 0; index < 13; index++) await chat();
  // DIEM pays first while there is some.
  await rialto.store.accounts.credit('default', 'DIEM', toNanos(1));
  for (let index = 0; index < 3; index++) await chat();
  await rialto.store.accounts.credit(
    'default',
    'DIEM',
    -(await rialto.store.accounts.find('default'))!.diemBalance,
  );
  for (let index = 0; index < 13; index++) await chat();
  await chat('free');
});

after(async () => {
  await rialto.close();
  await replay.close();
});

describe('GET /billing/balance', () => {
  it('reports the free balances, the consumption currency and the allocation', async () => {
    const account = (await rialto.store.accounts.find('default'))!;
    const answer = await getValid('/billing/balance');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, {
      canConsume: true,
      consumptionCurrency: 'USD',
      balances: { diem: 0, usd: fromNanos(account.usdBalance - account.usdReserved) },
      diemEpochAllocation: fromNanos(account.diemEpochAllocation),
    });
    assert.ok(fromNanos(account.usdBalance) < 1000, 'the paid requests were charged');
  });

  it('names DIEM while any remains, and null with nothing to spend', async () => {
    const diem = await rialto.keys.create({
      apiKeyType: 'ADMIN',
      description: 'diem admin',
      accountId: 'diem-account',
    });
    await rialto.store.accounts.credit('diem-account', 'DIEM', toNanos(2.5));
    await rialto.store.accounts.credit('diem-account', 'USD', toNanos(3));
    const withDiem = await getValid('/billing/balance', diem.apiKey);
    assert.deepEqual(withDiem.body, {
      canConsume: true,
      consumptionCurrency: 'DIEM',
      balances: { diem: 2.5, usd: 3 },
      diemEpochAllocation: 0,
    });
    const empty = await rialto.keys.create({
      apiKeyType: 'ADMIN',
      description: 'empty admin',
      accountId: 'empty-account',
    });
    const none = await getValid('/billing/balance', empty.apiKey);
    assert.deepEqual(none.body, {
      canConsume: false,
      consumptionCurrency: null,
      balances: { diem: 0, usd: 0 },
      diemEpochAllocation: 0,
    });
  });
});

describe('authorization', () => {
  for (const path of ['/billing/balance', '/billing/usage-history', '/billing/usage-analytics']) {
    it(`${path}: an INFERENCE key gets 403, no key 401`, async () => {
      const inference = await get(path, { key: rialto.inferenceKey });
      assert.equal(inference.status, 403, inference.text);
      assert.deepEqual(inference.body, { error: 'Unauthorized access' });
      const anonymous = await getValid(path, 'rk-0000000000000000-not-a-key');
      assert.equal(anonymous.status, 401);
      const missing = await get(path, { key: null });
      assert.equal(missing.status, 401);
    });
  }
});

describe('GET /billing/usage', () => {
  it('is gone: 410 with the successor and the sunset headers, with or without a key', async () => {
    for (const answer of [
      await get('/billing/usage?page=1&limit=10', { key: null }),
      await get('/billing/usage'),
    ]) {
      assert.equal(answer.status, 410, answer.text);
      validateResponse({ method: 'GET', path: '/billing/usage', status: 410, body: answer.body });
      assert.equal(answer.headers.get('deprecation'), '@1783555200');
      assert.equal(
        answer.headers.get('link'),
        '</api/v1/billing/usage-history>; rel="successor-version"',
      );
      assert.equal(answer.headers.get('sunset'), 'Wed, 16 Sep 2026 00:00:00 GMT');
      const message = String(answer.body.error);
      for (const word of [
        '/api/v1/billing/usage-history',
        'pageSize',
        'nextCursor',
        'startTimestamp',
        'endTimestamp',
      ])
        assert.ok(message.includes(word), message);
    }
  });
});

describe('GET /billing/usage-history', () => {
  it('walks every debit once, in ascending order, ten entries a page, and the walk is a snapshot', async () => {
    const charged = (await records()).filter((record) => record.amount > 0);
    assert.equal(charged.length, 30);
    // A request recorded after the walk began is not part of it.
    const { pages } = await walk('/billing/usage-history?pageSize=10', () => chat());
    const all = pages.flat();
    // 1 embedding entry + 29 chat records × (input, output).
    assert.equal(all.length, 59);
    assert.deepEqual(
      pages.map((page) => page.length),
      [10, 10, 10, 10, 10, 9],
    );
    const single = await getValid('/billing/usage-history?pageSize=1000');
    assert.deepEqual(entriesOf(single).slice(0, 59), all, 'the pages join without gaps or repeats');
    assert.equal(entriesOf(single).length, 61, 'a new walk sees the later request');
    for (let index = 1; index < all.length; index++)
      assert.ok(all[index - 1]!.timestamp <= all[index]!.timestamp);
    // Each record's entries sum to its charge, and an entry's units are millions of tokens.
    for (const record of charged) {
      const own = all.filter((entry) => entry.inferenceDetails?.requestId === record.requestId);
      assert.equal(
        own.reduce((sum, entry) => sum - toNanos(entry.amount), 0),
        record.amount,
      );
      assert.ok(
        own.every(
          (entry) =>
            entry.currency === record.currency &&
            entry.timestamp === record.createdAt &&
            entry.notes === 'API Inference',
        ),
      );
      if (record.modelType === 'text') {
        assert.deepEqual(
          own.map((entry) => entry.sku),
          ['paid-llm-input-mtoken', 'paid-llm-output-mtoken'],
        );
        assert.deepEqual(
          own.map((entry) => entry.units),
          [record.promptTokens / 1e6, record.completionTokens / 1e6],
        );
        assert.deepEqual(
          own.map((entry) => entry.pricePerUnitUsd),
          [1, 2],
        );
        assert.deepEqual(own[1]!.inferenceDetails, {
          completionTokens: record.completionTokens,
          promptTokens: record.promptTokens,
          inferenceExecutionTime: record.executionMs,
          requestId: record.requestId,
        });
      } else {
        assert.deepEqual(
          own.map((entry) => entry.sku),
          ['embed-embedding-input-mtoken'],
        );
      }
    }
  });

  it('filters by currency and by a [start, end) window', async () => {
    const diem = entriesOf(await getValid('/billing/usage-history?currency=DIEM'));
    assert.equal(diem.length, 6);
    assert.ok(diem.every((entry) => entry.currency === 'DIEM' && entry.amount < 0));
    assert.deepEqual(
      entriesOf(await getValid('/billing/usage-history?currency=BUNDLED_CREDITS')),
      [],
    );
    const charged = (await records()).filter((record) => record.amount > 0);
    const start = charged[4]!.createdAt;
    const end = charged[10]!.createdAt;
    const window = entriesOf(
      await getValid(`/billing/usage-history?startTimestamp=${start}&endTimestamp=${end}`),
    );
    const expected = charged.filter(
      (record) => record.createdAt >= start && record.createdAt < end,
    );
    assert.deepEqual(
      [...new Set(window.map((entry) => entry.inferenceDetails?.requestId))],
      expected.map((record) => record.requestId),
    );
  });

  it("refuses filters beside a cursor, altered cursors, other accounts' cursors and bad filters with 400", async () => {
    const first = await getValid('/billing/usage-history?pageSize=10');
    const cursor = String(first.body.nextCursor);
    assert.match(cursor, CURSOR);
    const refusals = [
      `/billing/usage-history?cursor=${cursor}&pageSize=10`,
      `/billing/usage-history?cursor=${cursor}&currency=USD`,
      `/billing/usage-history?cursor=${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`,
      `/billing/usage-history?cursor=${cursor.slice(0, -1)}${cursor.endsWith('A') ? 'B' : 'A'}`,
      `/billing/usage-history?cursor=${cursor.slice(0, -3)}`,
      '/billing/usage-history?pageSize=9',
      '/billing/usage-history?pageSize=1001',
      '/billing/usage-history?startTimestamp=2026-01-02T00:00:00Z&endTimestamp=2026-01-02T00:00:00Z',
      '/billing/usage-history?startTimestamp=2026-02-30T00:00:00Z',
      '/billing/usage-history?startTimestamp=2026-01-02',
      '/billing/usage-history?page=2',
    ];
    for (const path of refusals) {
      const answer = await getValid(path);
      assert.equal(answer.status, 400, `${path}: ${answer.text}`);
    }
    const other = await rialto.keys.create({
      apiKeyType: 'ADMIN',
      description: 'other admin',
      accountId: 'other-account',
    });
    const foreign = await getValid(`/billing/usage-history?cursor=${cursor}`, other.apiKey);
    assert.equal(foreign.status, 400, foreign.text);
    assert.match(String(foreign.body.error), /cursor/i);
    assert.equal(
      (await getValid(`/billing/usage-history?cursor=${cursor}`)).status,
      200,
      'the untouched cursor still works',
    );
  });

  it('exports CSV pages with a stamped file name and the next cursor in x-next-cursor', async () => {
    const json = entriesOf(await getValid('/billing/usage-history?pageSize=10'));
    let answer = await get('/billing/usage-history?pageSize=10', { accept: 'text/csv' });
    assert.equal(answer.status, 200, answer.text);
    validateResponse({
      method: 'GET',
      path: '/billing/usage-history',
      status: 200,
      contentType: answer.headers.get('content-type') ?? '',
      body: answer.text,
    });
    assert.match(answer.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(
      answer.headers.get('content-disposition') ?? '',
      /^attachment; filename=billing-usage-history-\d{8}T\d{9}Z\.csv$/,
    );
    const lines = answer.text.split('\r\n').filter((line) => line !== '');
    assert.equal(
      lines[0],
      'timestamp,sku,pricePerUnitUsd,units,amount,currency,notes,requestId,inferenceExecutionTime,promptTokens,completionTokens',
    );
    assert.deepEqual(
      lines.slice(1),
      json.map((entry) =>
        [
          entry.timestamp,
          entry.sku,
          entry.pricePerUnitUsd,
          entry.units,
          entry.amount,
          entry.currency,
          entry.notes,
          entry.inferenceDetails?.requestId,
          entry.inferenceDetails?.inferenceExecutionTime,
          entry.inferenceDetails?.promptTokens ?? '',
          entry.inferenceDetails?.completionTokens ?? '',
        ].join(','),
      ),
    );
    let rows = lines.length - 1;
    let pages = 1;
    for (;;) {
      const next = answer.headers.get('x-next-cursor');
      if (next === null) break;
      assert.match(next, CURSOR);
      answer = await get(`/billing/usage-history?cursor=${next}`, { accept: 'text/csv' });
      assert.equal(answer.status, 200, answer.text);
      rows += answer.text.split('\r\n').filter((line) => line !== '').length - 1;
      pages++;
    }
    const total = entriesOf(await getValid('/billing/usage-history')).length;
    assert.equal(rows, total);
    assert.equal(pages, Math.ceil(total / 10));
  });
});

describe('GET /billing/usage-analytics', () => {
  it('totals by day, model and key match the usage records', async () => {
    const all = await records();
    const answer = await getValid('/billing/usage-analytics');
    assert.equal(answer.status, 200, answer.text);
    const report = answer.body as {
      lookback: string;
      byDate: { date: string; USD: number; DIEM: number }[];
      topModels: string[];
      topKeyNames: string[];
      byModel: {
        modelName: string;
        modelType: string | null;
        totalUsd: number;
        totalDiem: number;
        totalUnits: number;
        breakdown?: { type: string; usd: number; diem: number; units: number }[];
      }[];
      byKey: {
        apiKeyId: string | null;
        description: string;
        totalUsd: number;
        totalDiem: number;
        totalUnits: number;
      }[];
      byModelDaily: Record<string, number>[];
      byKeyDaily: Record<string, number>[];
    };
    assert.equal(report.lookback, '7d');
    assert.equal(report.byDate.length, 7);
    // Consecutive days, newest first.
    report.byDate
      .slice(1)
      .forEach((day, index) =>
        assert.equal(
          Date.parse(`${report.byDate[index]!.date}T00:00:00Z`) -
            Date.parse(`${day.date}T00:00:00Z`),
          86_400_000,
        ),
      );
    const sum = (currency: string, filter: (record: UsageRecord) => boolean = () => true): number =>
      all
        .filter((record) => record.currency === currency && filter(record))
        .reduce((total, record) => total + record.amount, 0);
    assert.equal(
      report.byDate.reduce((total, day) => total + toNanos(day.USD), 0),
      sum('USD'),
    );
    assert.equal(
      report.byDate.reduce((total, day) => total + toNanos(day.DIEM), 0),
      sum('DIEM'),
    );
    assert.ok(sum('DIEM') > 0 && sum('USD') > 0);

    const paid = all.filter((record) => record.modelId === 'paid');
    const paidRow = report.byModel.find((row) => row.modelName === 'paid (vllm)');
    assert.ok(paidRow !== undefined, answer.text);
    assert.deepEqual(
      report.byModel.map((row) => row.modelName),
      ['paid (vllm)', 'embed', 'free (vllm)'],
      'by spend, highest first',
    );
    assert.equal(paidRow.modelType, 'LLM');
    assert.equal(
      toNanos(paidRow.totalUsd),
      sum('USD', (record) => record.modelId === 'paid'),
    );
    assert.equal(
      toNanos(paidRow.totalDiem),
      sum('DIEM', (record) => record.modelId === 'paid'),
    );
    assert.equal(
      paidRow.totalUnits,
      paid.reduce((total, record) => total + record.promptTokens + record.completionTokens, 0),
    );
    const breakdown = new Map(paidRow.breakdown?.map((part) => [part.type, part]));
    assert.equal(
      breakdown.get('Input')?.units,
      paid.reduce((total, record) => total + record.promptTokens, 0),
    );
    assert.equal(
      breakdown.get('Output')?.units,
      paid.reduce((total, record) => total + record.completionTokens, 0),
    );
    assert.equal(
      toNanos(breakdown.get('Input')!.usd) + toNanos(breakdown.get('Output')!.usd),
      toNanos(paidRow.totalUsd),
    );
    assert.equal(report.topModels[0], 'paid (vllm)');

    const inference = report.byKey.find((row) => row.description === 'test inference');
    assert.ok(inference !== undefined && inference.apiKeyId !== null, answer.text);
    assert.equal(
      toNanos(inference.totalUsd),
      sum('USD', (record) => record.keyId === inference.apiKeyId),
    );
    assert.deepEqual(report.topKeyNames, ['test inference']);
    assert.deepEqual(
      report.byKeyDaily.map((row) => row.date),
      [...report.byDate].reverse().map((day) => Date.parse(`${day.date}T00:00:00Z`)),
    );
    assert.equal(
      report.byKeyDaily.reduce((total, row) => total + toNanos(row['test inference'] ?? 0), 0),
      sum('USD') + sum('DIEM'),
    );
    assert.equal(
      report.byModelDaily.reduce((total, row) => total + toNanos(row['paid (vllm)'] ?? 0), 0),
      paid.reduce((total, record) => total + record.amount, 0),
    );
  });

  it('takes a date range, echoed as startDate:endDate', async () => {
    const answer = await getValid(
      `/billing/usage-analytics?startDate=2020-01-01&endDate=2020-01-03`,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.lookback, '2020-01-01:2020-01-03');
    assert.deepEqual(
      answer.body.byDate,
      ['2020-01-03', '2020-01-02', '2020-01-01'].map((date) => ({ date, USD: 0, DIEM: 0 })),
    );
    assert.deepEqual(answer.body.byModel, []);
    assert.equal((await getValid('/billing/usage-analytics?lookback=90d')).status, 200);
  });

  it('refuses a bad lookback, more than 90 days, or one date alone with 400', async () => {
    for (const query of [
      'lookback=91d',
      'lookback=0d',
      'lookback=7',
      'lookback=7w',
      'startDate=2026-01-01',
      'endDate=2026-01-01',
      'startDate=2026-02-30&endDate=2026-03-02',
      'startDate=2026-03-02&endDate=2026-03-01',
    ]) {
      const answer = await getValid(`/billing/usage-analytics?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
    }
  });
});
