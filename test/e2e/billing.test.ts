// Paying for requests: reservations before the engine, settlement after, 402s, balance headers, the
// early-end policy, and the concurrency guarantee — on SQLite and on PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestRialto } from '../support/start-rialto.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { chatModel, useReplayRialto } from './upstream-support.ts';
import { toNanos, fromNanos } from '../../src/services/billing/money.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { periodOf } from '../../src/services/billing/limit-period.ts';

const PLAIN = [{ role: 'user', content: '#plain hello' }];

async function chat(
  rialto: TestRialto,
  key: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${rialto.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`billing on ${database}`, () => {
    let replay: ReplayServer;
    let rialto: TestRialto;

    useReplayRialto(
      (url) => ({
        systemPrompt: '',
        models: [
          chatModel('paid', 'vllm', [url]),
          { ...chatModel('anonymized', 'vllm', [url]), privacy: 'anonymized' },
          {
            ...chatModel('free', 'vllm', [url]),
            pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } },
          },
        ],
      }),
      (servers) => ({ replay, rialto } = servers),
      { database, balanceUsd: 0 },
    );

    it('an empty account gets 402 INSUFFICIENT_BALANCE on a paid model, and free models still answer', async () => {
      const refused = await chat(rialto, rialto.inferenceKey, {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 8,
      });
      assert.equal(refused.status, 402);
      const body: unknown = await refused.json();
      assert.deepEqual(body, {
        error:
          'Insufficient USD or Diem balance to complete request. Visit https://venice.ai/settings/api to add credits.',
      });
      validateResponse({ method: 'POST', path: '/chat/completions', status: 402, body });
      assert.equal(
        (await chat(rialto, rialto.inferenceKey, { model: 'free', messages: PLAIN, max_tokens: 8 }))
          .status,
        200,
      );
    });

    it('a funded request is charged its cost: the balance header shows the balance before it, the ledger after', async () => {
      await rialto.store.accounts.credit('default', 'USD', toNanos(1));
      const response = await chat(rialto, rialto.inferenceKey, {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 8,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-venice-balance-usd'), '1');
      assert.equal(response.headers.get('x-venice-balance-diem'), '0');
      const body = (await response.json()) as {
        cost: { usd: number; diem: number };
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      // vLLM's recording reports 16 prompt and 8 completion tokens at $1 / $2 per million.
      assert.deepEqual(body.cost, { usd: (16 * 1 + 8 * 2) / 1e6, diem: 0 });
      const account = (await rialto.store.accounts.find('default'))!;
      assert.equal(account.usdBalance, toNanos(1) - toNanos(body.cost.usd));
      assert.equal(account.usdReserved, 0);
      const records = await rialto.store.usage.list({ accountId: 'default', limit: 100 });
      assert.ok(
        records.some(
          (record) =>
            record.amount === toNanos(body.cost.usd) &&
            record.status === 'completed' &&
            record.promptTokens === 16,
        ),
      );
    });

    it('DIEM pays first, and the response cost says so', async () => {
      await rialto.store.accounts.credit('default', 'DIEM', toNanos(1));
      const body = (await (
        await chat(rialto, rialto.inferenceKey, { model: 'paid', messages: PLAIN, max_tokens: 8 })
      ).json()) as { cost: { usd: number; diem: number } };
      assert.deepEqual(body.cost, { usd: 0, diem: (16 * 1 + 8 * 2) / 1e6 });
      await rialto.store.accounts.credit(
        'default',
        'DIEM',
        -(await rialto.store.accounts.find('default'))!.diemBalance,
      );
    });

    it('a key limit refuses with API_KEY_USD_SPEND_LIMIT_EXCEEDED while the account still has money', async () => {
      const { apiKey } = await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'capped',
        consumptionLimits: { usd: 0, diem: null, vcu: null },
      });
      const refused = await chat(rialto, apiKey, { model: 'paid', messages: PLAIN, max_tokens: 8 });
      assert.equal(refused.status, 402);
      assert.deepEqual(await refused.json(), {
        error:
          'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
      });
    });

    it("a key's modelPrivacy keeps it off anonymized models (403), while ALL keys may use them", async () => {
      const model = { model: 'anonymized', messages: PLAIN, max_tokens: 8 };
      const { apiKey } = await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'private only',
        modelPrivacy: 'PRIVATE_ONLY',
      });
      const refused = await chat(rialto, apiKey, model);
      assert.equal(refused.status, 403);
      assert.match(((await refused.json()) as { error: string }).error, /only use private models/);
      const text = await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'private text',
        modelPrivacy: 'PRIVATE_TEXT',
      });
      assert.equal((await chat(rialto, text.apiKey, model)).status, 403);
      assert.equal((await chat(rialto, apiKey, { ...model, model: 'paid' })).status, 200);
      assert.equal((await chat(rialto, rialto.inferenceKey, model)).status, 200);
    });

    it('an upstream that sends no usage is charged an estimate: 4 bytes a token of what it streamed', async () => {
      replay.setBehavior({ ignoreStreamOptions: true });
      try {
        const response = await chat(rialto, rialto.inferenceKey, {
          model: 'paid',
          messages: PLAIN,
          max_tokens: 64,
          stream: true,
          stream_options: { include_usage: true },
        });
        const text = await response.text();
        const chunks = text
          .split('\n\n')
          .filter((event) => event.startsWith('data: {'))
          .map(
            (event) =>
              JSON.parse(event.slice(6)) as {
                choices: { delta: { content?: string } }[];
                usage?: { prompt_tokens: number; completion_tokens: number };
              },
          );
        const content = chunks
          .flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ''))
          .join('');
        const usage = chunks.at(-1)!.usage!;
        assert.equal(usage.completion_tokens, Math.ceil(Buffer.byteLength(content) / 4));
        assert.ok(usage.prompt_tokens > 0);
        const record = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).at(
          -1,
        )!;
        assert.equal(record.completionTokens, usage.completion_tokens);
        assert.equal(
          record.amount,
          toNanos((usage.prompt_tokens * 1 + usage.completion_tokens * 2) / 1e6),
        );
      } finally {
        replay.resetBehavior();
      }
    });

    it('200 concurrent streams on a key whose limit pays for 50 at actual cost: exactly as many as their worst cases fit are admitted, the rest refused 402, the books exact', async () => {
      await rialto.store.accounts.credit('default', 'USD', toNanos(100));
      const perRequest = toNanos((16 * 1 + 8 * 2) / 1e6);
      const limit = 50 * perRequest;
      const { apiKey, record } = await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'race',
        consumptionLimits: { usd: limit, diem: null, vcu: null },
      });
      const period = periodOf(record.limitPeriod, new Date());
      const balanceBefore = (await rialto.store.accounts.find('default'))!.usdBalance;
      const forwardedBefore = replay.requests.length;
      // The upstream holds every answer until each of the 200 has been refused or forwarded: all admitted requests
      // then hold their reservation (the worst case: 64 completion tokens, ~4x the actual cost) at once, so the key
      // admits exactly as many worst cases as its limit holds, whatever the order of arrival.
      let release = (): void => undefined;
      replay.setBehavior({
        gate: new Promise<void>((resolve) => {
          release = resolve;
        }),
      });
      let refusedSoFar = 0;
      try {
        const pending = Array.from({ length: 200 }, async () => {
          const response = await chat(rialto, apiKey, {
            model: 'paid',
            messages: PLAIN,
            max_tokens: 64,
            stream: true,
            stream_options: { include_usage: true },
          });
          if (response.status !== 200) refusedSoFar += 1;
          return { status: response.status, text: await response.text() };
        });
        for (let turn = 0; refusedSoFar + replay.requests.length - forwardedBefore < 200; turn++) {
          // More than 50 in flight could not all be paid at actual cost, let alone at their worst case.
          assert.ok(
            replay.requests.length - forwardedBefore <= 50,
            `${replay.requests.length - forwardedBefore} forwarded at once on a limit that pays for 50`,
          );
          assert.ok(
            turn < 6000,
            `after 60 s, ${refusedSoFar} refused and ${replay.requests.length - forwardedBefore} forwarded of 200`,
          );
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const held = await rialto.store.ledger.keySpend(record.id, period);
        const admittedCount = replay.requests.length - forwardedBefore;
        assert.ok(
          refusedSoFar > 0 && admittedCount > 0,
          `${admittedCount} admitted, ${refusedSoFar} refused`,
        );
        const worstCase = held.usdReserved / admittedCount;
        assert.ok(
          held.usdSpent === 0 && held.usdReserved <= limit && limit - held.usdReserved < worstCase,
          `${admittedCount} reservations of ${fromNanos(worstCase)} held on a limit of ${fromNanos(limit)}: ${fromNanos(held.usdReserved)} reserved`,
        );
        release();
        const answers = await Promise.all(pending);
        const admitted = answers.filter((answer) => answer.status === 200);
        assert.equal(admitted.length, admittedCount);
        for (const answer of answers.filter((item) => item.status !== 200)) {
          assert.equal(answer.status, 402, answer.text);
          assert.match(answer.text, /API key USD spend limit exceeded/);
        }
        for (const answer of admitted) assert.ok(answer.text.trimEnd().endsWith('data: [DONE]'));
      } finally {
        release();
        replay.resetBehavior();
      }
      // The books: one completed usage record of the actual cost per admitted request; the key's spend and the
      // account's balance moved by exactly their sum; nothing left reserved.
      const records = (
        await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })
      ).filter((item) => item.keyId === record.id);
      assert.equal(records.length, 200 - refusedSoFar);
      for (const item of records)
        assert.deepEqual(
          { status: item.status, amount: item.amount, currency: item.currency },
          { status: 'completed', amount: perRequest, currency: 'USD' },
        );
      const spent = records.length * perRequest;
      assert.ok(spent <= limit, `spent ${fromNanos(spent)} > limit ${fromNanos(limit)}`);
      const keySpend = await rialto.store.ledger.keySpend(record.id, period);
      assert.deepEqual(
        { spent: keySpend.usdSpent, reserved: keySpend.usdReserved },
        { spent, reserved: 0 },
      );
      const account = (await rialto.store.accounts.find('default'))!;
      assert.deepEqual(
        { balance: account.usdBalance, reserved: account.usdReserved },
        { balance: balanceBefore - spent, reserved: 0 },
      );
    });

    it('a client that leaves mid-stream pays for what was generated; a stream the upstream breaks costs nothing', async () => {
      const left = new AbortController();
      replay.setBehavior({ chunkDelayMs: 200 });
      try {
        const response = await chat(
          rialto,
          rialto.inferenceKey,
          { model: 'paid', messages: PLAIN, max_tokens: 64, stream: true },
          left.signal,
        );
        const reader = response.body!.getReader();
        await reader.read();
        await reader.read();
        left.abort();
        let record;
        for (let turn = 0; turn < 300 && record === undefined; turn++) {
          record = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).find(
            (item) => item.status === 'client_disconnected',
          );
          if (record === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.ok(record !== undefined, 'the disconnect is settled');
        assert.ok(record.amount > 0 && record.completionTokens > 0);

        replay.setBehavior({ chunkDelayMs: 0, dropAfterChunks: 2 });
        const balance = (await rialto.store.accounts.find('default'))!.usdBalance;
        const broken = await chat(rialto, rialto.inferenceKey, {
          model: 'paid',
          messages: PLAIN,
          max_tokens: 64,
          stream: true,
        });
        assert.match(await broken.text(), /"error"/);
        const failed = (
          await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })
        ).filter((item) => item.status === 'failed');
        assert.equal(failed.length, 1);
        assert.equal(failed[0]!.amount, 0);
        const account = (await rialto.store.accounts.find('default'))!;
        assert.equal(account.usdBalance, balance);
        assert.equal(account.usdReserved, 0);
      } finally {
        replay.resetBehavior();
      }
    });
  });
}
