// Wallet-paid inference (#20 item 4): SIGN-IN-WITH-X on /chat/completions billed on the wallet's x402 ledger
// (reserve the worst case, CHARGE the actual cost, X-Balance-Remaining), the early-end policy, the no-auth x402
// discovery 402, 401 for bad sign-ins and keys, and 100 concurrent sign-ins on a wallet with credit for 30 —
// on SQLite and on PostgreSQL (money: no sqlite-only marker).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodePaymentRequiredHeader } from '@x402/core/http';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { FAILED_REQUESTS_MESSAGE } from '../../src/rate-limit/rate-limiter.ts';
import { fromNanos, toNanos } from '../../src/services/billing/money.ts';
import type { WalletEntry } from '../../src/storage/wallet-store.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import type { TestRialto } from '../support/start-rialto.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { evmSiwxHeader } from '../support/x402-siwx.ts';
import { chatModel, useReplayRialto } from './upstream-support.ts';

const PLAIN = [{ role: 'user', content: '#plain hello' }];
const OPERATOR = '0x1111111111111111111111111111111111111111';
const TOKEN = '0x2222222222222222222222222222222222222222';
// $1,000 / $2,000 per million tokens: a request costs cents, so the ledger moves visibly.
const PRICES = { input: { usd: 1000, diem: 1000 }, output: { usd: 2000, diem: 2000 } };

const walletOf = (account: PrivateKeyAccount) => `eip155:${account.address.toLowerCase()}`;

async function fund(rialto: TestRialto, account: PrivateKeyAccount, usd: number): Promise<void> {
  await rialto.store.wallets.credit({
    wallet: walletOf(account),
    type: 'TOP_UP',
    amount: toNanos(usd),
    idempotencyKey: `test:${randomUUID()}`,
    createdAt: new Date().toISOString(),
  });
}

async function entries(rialto: TestRialto, account: PrivateKeyAccount): Promise<WalletEntry[]> {
  return rialto.store.wallets.entries(walletOf(account), { limit: 1000, offset: 0 });
}

async function chat(
  rialto: TestRialto,
  headers: Record<string, string>,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${rialto.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

async function signedIn(
  rialto: TestRialto,
  account: PrivateKeyAccount,
  options: Partial<Parameters<typeof evmSiwxHeader>[1]> = {},
): Promise<Record<string, string>> {
  return {
    'SIGN-IN-WITH-X': await evmSiwxHeader(account, { origin: rialto.origin, ...options }),
  };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`after 10 s: ${what}`);
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`wallet-paid inference on ${database}`, () => {
    let replay: ReplayServer;
    let rialto: TestRialto;

    useReplayRialto(
      (url) => ({
        systemPrompt: '',
        models: [{ ...chatModel('paid', 'vllm', [url]), pricing: PRICES }],
        wallets: {
          enabled: true,
          networks: [{ id: 'eip155:84532', token: { address: TOKEN }, payTo: OPERATOR }],
          // Never reached here: these tests fund wallets through the ledger (x402-top-up.test.ts pays for real).
          facilitator: { kind: 'url', url: 'http://127.0.0.1:9/' },
        },
      }),
      (servers) => ({ replay, rialto } = servers),
      { database },
    );

    it('no auth is the x402 discovery 402 (body and PAYMENT-REQUIRED); a bad key is still 401', async () => {
      const response = await chat(rialto, {}, { model: 'paid', messages: PLAIN });
      assert.equal(response.status, 402);
      const body = (await response.json()) as {
        x402Version: number;
        resource: { url: string };
        accepts: { network: string; amount: string; payTo: string; asset: string }[];
        extensions: {
          'sign-in-with-x': {
            info: { domain: string; uri: string; nonce: string };
            supportedChains: unknown[];
          };
        };
        authOptions: { x402Wallet: { header: string; topUp: string } };
      };
      // The swagger's 402 is oneOf [StandardError, X402InferencePaymentRequired], and every x402 body (it has
      // `error`) matches both, so the x402 schema is checked itself (its discovery branch is additionalProperties: false).
      validateSchema('X402InferencePaymentRequired', body);
      assert.equal(body.x402Version, 2);
      assert.equal(body.resource.url, `${rialto.baseURL}/chat/completions`);
      assert.deepEqual(
        body.accepts.map(({ network, amount, payTo, asset }) => ({
          network,
          amount,
          payTo,
          asset,
        })),
        [{ network: 'eip155:84532', amount: '5000000', payTo: OPERATOR, asset: TOKEN }],
      );
      const siwx = body.extensions['sign-in-with-x'];
      assert.equal(siwx.info.domain, new URL(rialto.origin).host);
      assert.equal(siwx.info.uri, `${rialto.baseURL}/chat/completions`);
      assert.match(siwx.info.nonce, /^[0-9a-f]{32}$/);
      assert.deepEqual(siwx.supportedChains, [{ chainId: 'eip155:84532', type: 'eip191' }]);
      assert.equal(body.authOptions.x402Wallet.header, 'SIGN-IN-WITH-X');
      assert.equal(body.authOptions.x402Wallet.topUp, 'POST /api/v1/x402/top-up');
      const required = decodePaymentRequiredHeader(response.headers.get('payment-required') ?? '');
      assert.equal(required.x402Version, 2);
      assert.deepEqual(required.accepts, body.accepts);
      assert.equal(required.resource.url, `${rialto.baseURL}/x402/top-up`);

      const badKey = await chat(
        rialto,
        { authorization: 'Bearer not-a-key' },
        { model: 'paid', messages: PLAIN },
      );
      assert.equal(badKey.status, 401);
      assert.deepEqual(await badKey.json(), { error: 'Authentication failed' });
      // A key still pays from its account, with no wallet header.
      const keyed = await chat(
        rialto,
        { authorization: `Bearer ${rialto.inferenceKey}` },
        { model: 'paid', messages: PLAIN, max_tokens: 8 },
      );
      assert.equal(keyed.status, 200);
      assert.equal(keyed.headers.get('x-balance-remaining'), null);
      assert.ok(keyed.headers.get('x-venice-balance-usd') !== null);
    });

    it('expired, wrong-domain, replayed and junk sign-ins are 401 X402_INVALID_SIGN_IN; nothing charged', async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      await fund(rialto, account, 1);
      const refused = async (headers: Record<string, string>) => {
        const response = await chat(rialto, headers, {
          model: 'paid',
          messages: PLAIN,
          max_tokens: 8,
        });
        assert.equal(response.status, 401);
        const body: unknown = await response.json();
        assert.deepEqual(body, { error: 'Invalid Sign-in-with-x signature' });
        validateResponse({ method: 'POST', path: '/chat/completions', status: 401, body });
      };
      const hourAgo = new Date(Date.now() - 3_600_000);
      await refused(
        await signedIn(rialto, account, {
          issuedAt: hourAgo,
          expirationTime: new Date(hourAgo.getTime() + 60_000),
        }),
      );
      await refused(await signedIn(rialto, account, { domain: 'evil.example.com' }));
      const once = await signedIn(rialto, account);
      assert.equal(
        (await chat(rialto, once, { model: 'paid', messages: PLAIN, max_tokens: 8 })).status,
        200,
      );
      await refused(once);
      await refused({ 'SIGN-IN-WITH-X': 'bm90IGpzb24=' });
      // The legacy header name is accepted.
      const legacy = await chat(
        rialto,
        { 'X-Sign-In-With-X': (await signedIn(rialto, account))['SIGN-IN-WITH-X']! },
        { model: 'paid', messages: PLAIN, max_tokens: 8 },
      );
      assert.equal(legacy.status, 200);
      assert.equal((await entries(rialto, account)).filter((e) => e.type === 'CHARGE').length, 2);
    });

    it('a wallet under its minimum balance gets the PAYMENT_REQUIRED 402 with a SIWx challenge', async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      await fund(rialto, account, 0.1);
      const response = await chat(rialto, await signedIn(rialto, account), {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 8,
      });
      assert.equal(response.status, 402);
      const body = (await response.json()) as Record<string, unknown>;
      validateSchema('X402InferencePaymentRequired', body);
      assert.equal(body.code, 'PAYMENT_REQUIRED');
      assert.equal(body.reason, 'insufficient_balance');
      assert.equal(body.currentBalanceUsd, 0.1);
      assert.equal(body.minimumBalanceUsd, 0.1);
      assert.ok(response.headers.get('payment-required'));
      assert.deepEqual(await entries(rialto, account).then((list) => list.length), 1);
      const { reserved } = await rialto.store.wallets.balance(walletOf(account));
      assert.equal(reserved, 0);
    });

    it('JSON and streamed chat are charged on the wallet ledger (CHARGE = cost), with X-Balance-Remaining', async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      await fund(rialto, account, 5);
      const response = await chat(rialto, await signedIn(rialto, account), {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 8,
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { cost: { usd: number } };
      validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body });
      assert.ok(body.cost.usd > 0);
      // JSON: the header is the balance after the charge.
      assert.equal(response.headers.get('x-balance-remaining'), (5 - body.cost.usd).toFixed(6));
      assert.equal(response.headers.get('x-venice-balance-usd'), null);
      let charges = (await entries(rialto, account)).filter((entry) => entry.type === 'CHARGE');
      assert.equal(charges.length, 1);
      assert.equal(charges[0]!.amount, -toNanos(body.cost.usd));
      assert.equal(charges[0]!.modelId, 'paid');
      assert.equal(charges[0]!.balanceAfter, toNanos(5) - toNanos(body.cost.usd));

      const streamed = await chat(rialto, await signedIn(rialto, account), {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 64,
        stream: true,
        stream_options: { include_usage: true },
      });
      assert.equal(streamed.status, 200);
      // A stream starts before its charge: the header is the balance left after its worst case is held.
      const remaining = Number(streamed.headers.get('x-balance-remaining'));
      const text = await streamed.text();
      assert.ok(text.trimEnd().endsWith('data: [DONE]'));
      const usage = text
        .split('\n\n')
        .filter((event) => event.startsWith('data: {'))
        .map((event) => JSON.parse(event.slice(6)) as { usage?: { cost?: unknown } })
        .at(-1)!.usage as { prompt_tokens: number; completion_tokens: number };
      const cost = toNanos((usage.prompt_tokens * 1000 + usage.completion_tokens * 2000) / 1e6);
      await until(
        async () => (await rialto.store.wallets.balance(walletOf(account))).reserved === 0,
        'the stream is settled',
      );
      charges = (await entries(rialto, account)).filter((entry) => entry.type === 'CHARGE');
      assert.equal(charges.length, 2);
      assert.equal(charges[0]!.amount, -cost);
      const afterBoth = toNanos(5) - toNanos(body.cost.usd) - cost;
      assert.equal(charges[0]!.balanceAfter, afterBoth);
      assert.ok(
        remaining < fromNanos(afterBoth) && remaining > 0,
        `stream header ${remaining}, after ${fromNanos(afterBoth)}`,
      );
      const { balance, reserved } = await rialto.store.wallets.balance(walletOf(account));
      assert.deepEqual({ balance, reserved }, { balance: afterBoth, reserved: 0 });
      // The ledger routes agree.
      const ledger = await fetch(`${rialto.baseURL}/x402/balance/${account.address}`, {
        headers: await signedIn(rialto, account),
      });
      assert.equal(
        ((await ledger.json()) as { data: { balanceUsd: number } }).data.balanceUsd,
        fromNanos(afterBoth),
      );
    });

    it("a stream the client leaves pays what was generated; one the upstream breaks costs nothing (README's early-end table)", async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      await fund(rialto, account, 5);
      const left = new AbortController();
      replay.setBehavior({ chunkDelayMs: 200 });
      try {
        const response = await chat(
          rialto,
          await signedIn(rialto, account),
          { model: 'paid', messages: PLAIN, max_tokens: 64, stream: true },
          left.signal,
        );
        const reader = response.body!.getReader();
        await reader.read();
        await reader.read();
        left.abort();
        await until(
          async () => (await entries(rialto, account)).some((entry) => entry.type === 'CHARGE'),
          'the disconnect is settled',
        );
        const charge = (await entries(rialto, account)).find((entry) => entry.type === 'CHARGE')!;
        // Something was generated, and far less than the 64-token worst case ($0.128 + the prompt).
        assert.ok(charge.amount < 0 && -charge.amount < toNanos(0.128), String(charge.amount));
        await until(
          async () => (await rialto.store.wallets.balance(walletOf(account))).reserved === 0,
          'the hold is freed',
        );

        replay.setBehavior({ chunkDelayMs: 0, dropAfterChunks: 2 });
        const before = await rialto.store.wallets.balance(walletOf(account));
        const broken = await chat(rialto, await signedIn(rialto, account), {
          model: 'paid',
          messages: PLAIN,
          max_tokens: 64,
          stream: true,
        });
        assert.match(await broken.text(), /"error"/);
        await until(
          async () => (await rialto.store.wallets.balance(walletOf(account))).reserved === 0,
          'the broken stream is released',
        );
        const after = await rialto.store.wallets.balance(walletOf(account));
        assert.equal(after.balance, before.balance);
        assert.equal((await entries(rialto, account)).filter((e) => e.type === 'CHARGE').length, 1);
      } finally {
        replay.resetBehavior();
      }
    });

    it('100 concurrent sign-ins on a wallet with credit for 30 worst cases: 30 answered, 70 refused 402, the ledger adds up', async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      const wallet = walletOf(account);
      const request = {
        model: 'paid',
        messages: PLAIN,
        max_tokens: 64,
        stream: true,
        stream_options: { include_usage: true },
      };
      // One request's worst case, as the ledger holds it.
      await fund(rialto, account, 5);
      let release = (): void => undefined;
      replay.setBehavior({ gate: new Promise<void>((resolve) => (release = resolve)) });
      const probe = chat(rialto, await signedIn(rialto, account), request);
      await until(
        async () => (await rialto.store.wallets.balance(wallet)).reserved > 0,
        'the probe is held',
      );
      const worstCase = (await rialto.store.wallets.balance(wallet)).reserved;
      release();
      await (await probe).text();
      replay.resetBehavior();
      // Top up to the minimum balance + 30.5 worst cases of free credit.
      const floor = toNanos(0.1);
      await until(
        async () => (await rialto.store.wallets.balance(wallet)).reserved === 0,
        'the probe is settled',
      );
      const { balance: probed } = await rialto.store.wallets.balance(wallet);
      const target = floor + 30 * worstCase + Math.floor(worstCase / 2);
      await rialto.store.wallets.credit({
        wallet,
        type: 'TOP_UP',
        amount: target - probed,
        idempotencyKey: `test:${randomUUID()}`,
        createdAt: new Date().toISOString(),
      });
      const startBalance = (await rialto.store.wallets.balance(wallet)).balance;
      assert.equal(startBalance, target);
      const entriesBefore = (await entries(rialto, account)).length;

      const headers = await Promise.all(
        Array.from({ length: 100 }, () => signedIn(rialto, account)),
      );
      const forwardedBefore = replay.requests.length;
      replay.setBehavior({ gate: new Promise<void>((resolve) => (release = resolve)) });
      let refused = 0;
      try {
        const pending = headers.map(async (header) => {
          const response = await chat(rialto, header, request);
          if (response.status !== 200) refused += 1;
          return { status: response.status, text: await response.text() };
        });
        await until(
          async () => refused + replay.requests.length - forwardedBefore === 100,
          'every request refused or forwarded',
        );
        const held = await rialto.store.wallets.balance(wallet);
        assert.ok(held.balance - held.reserved >= floor, 'the free balance stays above the floor');
        assert.equal(replay.requests.length - forwardedBefore, 30);
        release();
        const answers = await Promise.all(pending);
        const ok = answers.filter((answer) => answer.status === 200);
        assert.equal(ok.length, 30);
        for (const answer of ok) assert.ok(answer.text.trimEnd().endsWith('data: [DONE]'));
        const no = answers.filter((answer) => answer.status !== 200);
        assert.equal(no.length, 70);
        for (const answer of no) {
          assert.equal(answer.status, 402, answer.text);
          assert.equal((JSON.parse(answer.text) as { code: string }).code, 'PAYMENT_REQUIRED');
        }
      } finally {
        release();
        replay.resetBehavior();
      }
      // A stream is settled just after its last byte: wait for the 30 holds to close.
      await until(
        async () => (await rialto.store.wallets.balance(wallet)).reserved === 0,
        'every answered stream is settled',
      );
      const after = await entries(rialto, account);
      const charges = after.slice(0, after.length - entriesBefore);
      assert.equal(charges.length, 30);
      assert.ok(charges.every((entry) => entry.type === 'CHARGE' && entry.amount < 0));
      const spent = charges.reduce((sum, entry) => sum - entry.amount, 0);
      assert.ok(spent <= startBalance - floor);
      const { balance, reserved } = await rialto.store.wallets.balance(wallet);
      assert.deepEqual({ balance, reserved }, { balance: startBalance - spent, reserved: 0 });
      // Entries of one millisecond are not ordered by time: the last charge is the one that left the least.
      assert.equal(Math.min(...charges.map((entry) => entry.balanceAfter)), balance);
    });
  });
}

describe('wallet rate limits', () => {
  let rialto: TestRialto;

  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      models: [{ ...chatModel('paid', 'vllm', [url]), pricing: PRICES }],
      rateLimits: { enabled: true, overrides: { S: { requestsPerMinute: 2 } } },
      wallets: {
        enabled: true,
        networks: [{ id: 'eip155:84532', token: { address: TOKEN }, payTo: OPERATOR }],
        facilitator: { kind: 'url', url: 'http://127.0.0.1:9/' },
      },
    }),
    (servers) => ({ rialto } = servers),
  );

  it("are the limiter's table per wallet: a wallet's third request in the minute is 429, another wallet and the key still pass", async () => {
    const [first, second] = [generatePrivateKey(), generatePrivateKey()].map((key) =>
      privateKeyToAccount(key),
    );
    await fund(rialto, first!, 1);
    await fund(rialto, second!, 1);
    const body = { model: 'paid', messages: PLAIN, max_tokens: 8 };
    const one = await chat(rialto, await signedIn(rialto, first!), body);
    assert.equal(one.status, 200);
    assert.equal(one.headers.get('x-ratelimit-limit-requests'), '2');
    assert.equal(one.headers.get('x-ratelimit-remaining-requests'), '1');
    assert.equal((await chat(rialto, await signedIn(rialto, first!), body)).status, 200);
    const refused = await chat(rialto, await signedIn(rialto, first!), body);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await entries(rialto, first!)).filter((e) => e.type === 'CHARGE').length, 2);
    assert.equal((await rialto.store.wallets.balance(walletOf(first!))).reserved, 0);
    assert.equal((await chat(rialto, await signedIn(rialto, second!), body)).status, 200);
    const keyed = await chat(rialto, { authorization: `Bearer ${rialto.inferenceKey}` }, body);
    assert.equal(keyed.status, 200);
    assert.equal(keyed.headers.get('x-ratelimit-remaining-requests'), '1');
  });

  it("a wallet's 21 failed requests in 30 s block it with 429 (the abuse rule), as a key's do", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await fund(rialto, account, 1);
    for (let failed = 0; failed < 21; failed++) {
      const response = await chat(rialto, await signedIn(rialto, account), {
        model: 'no-such-model',
        messages: PLAIN,
      });
      assert.equal(response.status, 404);
    }
    const blocked = await chat(rialto, await signedIn(rialto, account), {
      model: 'paid',
      messages: PLAIN,
      max_tokens: 8,
    });
    assert.equal(blocked.status, 429);
    assert.deepEqual(await blocked.json(), { error: FAILED_REQUESTS_MESSAGE });
    assert.equal((await entries(rialto, account)).filter((e) => e.type === 'CHARGE').length, 0);
  });
});
