// Wallet-paid async jobs (#20 item 4): a SIGN-IN-WITH-X wallet queues, retrieves and completes its own video jobs
// on a `venice` engine relaying to the Venice job API double; the quote is held on the wallet's x402 ledger at queue
// time and the job runner charges it once (a CHARGE of the quote) or gives it back when the job fails; another
// wallet, and an API key, get 404 for it as for another account's job; a key's job still bills its account (the
// books balance) — on SQLite and PostgreSQL (money: no sqlite-only marker).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { toNanos } from '../../src/services/billing/money.ts';
import type { WalletEntry } from '../../src/storage/wallet-store.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { FAIL_MARKERS, VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';
import { evmSiwxHeader } from '../support/x402-siwx.ts';
import { post, price, until, ZERO } from './jobs-support.ts';

const OPERATOR = '0x1111111111111111111111111111111111111111';
const TOKEN = '0x2222222222222222222222222222222222222222';
const FUNDED_KEYS_USD = 50;
/** $0.05 a job plus $0.01 a second: 5 s is $0.10. */
const PRICING = { input: ZERO, output: ZERO, generation: price(0.05), per_second: price(0.01) };
const QUOTE_5S = 0.1;

const walletOf = (account: PrivateKeyAccount): string => `eip155:${account.address.toLowerCase()}`;

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`wallet-paid video jobs on ${database}`, () => {
    let upstream: VeniceJobsServer;
    let rialto: TestRialto;
    const alice = privateKeyToAccount(generatePrivateKey());
    const bob = privateKeyToAccount(generatePrivateKey());
    let prompts = 0;
    const promptOf = (marker = ''): string =>
      `${marker}A vaporetto at dawn, take ${(prompts += 1)}`;

    before(async () => {
      upstream = await VeniceJobsServer.start({ pollsUntilDone: 1 });
      rialto = await startRialto(
        {
          jobs: { pollIntervalMs: 50 },
          models: [
            {
              id: 'wan-relay',
              type: 'video',
              engine: { kind: 'venice', endpoints: [{ url: upstream.url }] },
              videoConstraints: {
                aspect_ratios: ['16:9'],
                resolutions: ['720p'],
                durations: ['5s', '10s'],
                model_type: 'text-to-video',
                audio: false,
                audio_configurable: false,
                prompt_character_limit: 200,
              },
              pricing: PRICING,
            },
          ],
          wallets: {
            enabled: true,
            networks: [{ id: 'eip155:84532', token: { address: TOKEN }, payTo: OPERATOR }],
            // Never reached: the wallets are funded through the ledger (x402-top-up.test.ts pays for real).
            facilitator: { kind: 'url', url: 'http://127.0.0.1:9/' },
          },
        },
        { database, balanceUsd: FUNDED_KEYS_USD },
      );
      for (const account of [alice, bob])
        await rialto.store.wallets.credit({
          wallet: walletOf(account),
          type: 'TOP_UP',
          amount: toNanos(10),
          idempotencyKey: `test:${randomUUID()}`,
          createdAt: new Date().toISOString(),
        });
    });
    after(async () => {
      await rialto.close();
      await upstream.close();
    });

    /** A fresh sign-in (its nonce is taken once) of `account`. */
    async function as(account: PrivateKeyAccount): Promise<Record<string, string>> {
      return { 'SIGN-IN-WITH-X': await evmSiwxHeader(account, { origin: rialto.origin }) };
    }

    const signedPost = async (
      account: PrivateKeyAccount,
      path: string,
      body: unknown,
    ): Promise<Response> => post(rialto, path, body, null, await as(account));

    async function queue(account: PrivateKeyAccount, prompt: string): Promise<string> {
      const response = await signedPost(account, '/video/queue', {
        model: 'wan-relay',
        prompt,
        duration: '5s',
        resolution: '720p',
      });
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as { model: string; queue_id: string };
      validateResponse({ method: 'POST', path: '/video/queue', status: 200, body });
      assert.equal(body.model, 'wan-relay');
      return body.queue_id;
    }

    /** Retrieves as `account` until the answer is no longer PROCESSING. */
    async function retrieveUntilDone(
      account: PrivateKeyAccount,
      queueId: string,
    ): Promise<Response> {
      return until('the job to finish', async () => {
        const response = await signedPost(account, '/video/retrieve', {
          model: 'wan-relay',
          queue_id: queueId,
        });
        if (
          response.status === 200 &&
          (response.headers.get('content-type') ?? '').startsWith('application/json')
        ) {
          const status = (await response.json()) as { status: string };
          validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body: status });
          assert.equal(status.status, 'PROCESSING');
          return undefined;
        }
        return response;
      });
    }

    const entriesOf = async (account: PrivateKeyAccount, queueId: string): Promise<WalletEntry[]> =>
      (await rialto.store.wallets.entries(walletOf(account), { limit: 1000, offset: 0 })).filter(
        (entry) => entry.requestId === queueId,
      );

    const jobOf = async (queueId: string) => (await rialto.store.jobs.find(queueId))!;

    it('a wallet queues, retrieves and completes its job: the quote held, then charged once (CHARGE = quote)', async () => {
      const before = await rialto.store.wallets.balance(walletOf(alice));
      upstream.holding = true;
      let queueId = '';
      try {
        queueId = await queue(alice, promptOf());
        // Held on the wallet's ledger at queue time; the job names that ledger and the wallet as its owner.
        assert.deepEqual(await rialto.store.wallets.balance(walletOf(alice)), {
          ...before,
          reserved: before.reserved + toNanos(QUOTE_5S),
        });
        const job = await jobOf(queueId);
        assert.equal(job.ledger, 'wallet');
        assert.equal(job.accountId, walletOf(alice));
        assert.equal(job.quote, toNanos(QUOTE_5S));

        // Another wallet, and an API key, cannot see it: 404 as for another account's job.
        for (const path of ['/video/retrieve', '/video/complete']) {
          const other = await signedPost(bob, path, { model: 'wan-relay', queue_id: queueId });
          assert.equal(other.status, 404, path);
          // The swagger documents 404 for retrieve only; complete answers it as for another account's job.
          if (path === '/video/retrieve')
            validateResponse({ method: 'POST', path, status: 404, body: await other.json() });
          else await other.arrayBuffer();
          const keyed = await post(rialto, path, { model: 'wan-relay', queue_id: queueId });
          assert.equal(keyed.status, 404, path);
        }
      } finally {
        // Released whatever happens, or the later tests' jobs would never finish.
        upstream.holding = false;
      }

      const done = await retrieveUntilDone(alice, queueId);
      assert.equal(done.status, 200);
      assert.equal(done.headers.get('content-type'), 'video/mp4');
      assert.ok((await done.arrayBuffer()).byteLength > 0);

      const charges = await entriesOf(alice, queueId);
      assert.deepEqual(
        charges.map(({ type, amount, modelId }) => ({ type, amount, modelId })),
        [{ type: 'CHARGE', amount: -toNanos(QUOTE_5S), modelId: 'wan-relay' }],
      );
      assert.deepEqual(await rialto.store.wallets.balance(walletOf(alice)), {
        ...before,
        balance: before.balance - toNanos(QUOTE_5S),
      });
      // Retrieved again: the same media, nothing charged twice.
      const again = await retrieveUntilDone(alice, queueId);
      assert.equal(again.status, 200);
      await again.arrayBuffer();
      assert.equal((await entriesOf(alice, queueId)).length, 1);

      const completed = await signedPost(alice, '/video/complete', {
        model: 'wan-relay',
        queue_id: queueId,
      });
      assert.equal(completed.status, 200);
      const body: unknown = await completed.json();
      validateResponse({ method: 'POST', path: '/video/complete', status: 200, body });
      assert.deepEqual(body, { success: true });
      const gone = await signedPost(alice, '/video/retrieve', {
        model: 'wan-relay',
        queue_id: queueId,
      });
      assert.equal(gone.status, 404);
      assert.equal((await entriesOf(alice, queueId)).length, 1);
    });

    it('a failed job is refunded on the wallet: no CHARGE, the hold released, credits_refunded', async () => {
      const before = await rialto.store.wallets.balance(walletOf(alice));
      const queueId = await queue(alice, promptOf(FAIL_MARKERS.failure));
      const failed = await retrieveUntilDone(alice, queueId);
      assert.equal(failed.status, 500);
      const body = (await failed.json()) as { credits_refunded?: boolean };
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
      assert.equal(body.credits_refunded, true);
      assert.deepEqual(await entriesOf(alice, queueId), []);
      assert.deepEqual(await rialto.store.wallets.balance(walletOf(alice)), before);
      assert.equal(
        await rialto.store.wallets.stateOf((await jobOf(queueId)).reservationId!),
        'released',
      );
    });

    it("a wallet short of the quote gets the x402 402 and nothing is queued; a key's job bills the account, not a wallet", async () => {
      const poor = privateKeyToAccount(generatePrivateKey());
      const refused = await signedPost(poor, '/video/queue', {
        model: 'wan-relay',
        prompt: promptOf(),
        duration: '5s',
        resolution: '720p',
      });
      assert.equal(refused.status, 402);
      await refused.arrayBuffer();
      assert.deepEqual(await rialto.store.wallets.balance(walletOf(poor)), {
        wallet: walletOf(poor),
        balance: 0,
        reserved: 0,
      });

      const bobBefore = await rialto.store.wallets.balance(walletOf(bob));
      const keyed = await post(rialto, '/video/queue', {
        model: 'wan-relay',
        prompt: promptOf(),
        duration: '5s',
        resolution: '720p',
      });
      assert.equal(keyed.status, 200);
      const { queue_id: queueId } = (await keyed.json()) as { queue_id: string };
      assert.equal((await jobOf(queueId)).ledger, 'account');
      // The key's job is not a wallet's: 404 to a wallet.
      const byWallet = await signedPost(bob, '/video/retrieve', {
        model: 'wan-relay',
        queue_id: queueId,
      });
      assert.equal(byWallet.status, 404);
      const done = await until('the key job to finish', async () => {
        const response = await post(rialto, '/video/retrieve', {
          model: 'wan-relay',
          queue_id: queueId,
        });
        if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
          await response.arrayBuffer();
          return undefined;
        }
        return response;
      });
      assert.equal(done.status, 200);
      await done.arrayBuffer();
      const records = await assertBooksBalance(rialto.store, FUNDED_KEYS_USD);
      assert.deepEqual(
        records.filter((record) => record.requestId === queueId).map((record) => record.amount),
        [toNanos(QUOTE_5S)],
      );
      assert.deepEqual(await rialto.store.wallets.balance(walletOf(bob)), bobBefore);
    });
  });
}
