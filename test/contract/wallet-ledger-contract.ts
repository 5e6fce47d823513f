import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CreditRefusedError, MAX_NANOS, type Store } from '../../src/storage/store.ts';
import type { WalletCredit } from '../../src/storage/wallet-store.ts';

type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const USD = 1_000_000_000;
const AT = '2026-12-06T12:00:00.000Z';
const LATER = '2026-12-06T12:05:00.000Z';
const WALLET = 'eip155:0x00000000000000000000000000000000000000aa';

const topUp = (amount: number, key: string, wallet = WALLET): WalletCredit => ({
  wallet,
  type: 'TOP_UP',
  amount,
  idempotencyKey: key,
  network: 'eip155:84532',
  transaction: `0x${key}`,
  createdAt: AT,
});

const reserveOf = (id: string, amount: number, floor = 0) => ({
  reservationId: id,
  wallet: WALLET,
  amount,
  floor,
  requestId: `chatcmpl-${id}`,
  modelId: 'm',
  createdAt: AT,
  leaseUntil: LATER,
});

/** The wallet ledger's contract (storage/wallet-store.ts), run once per store implementation. */
export function defineWalletLedgerContract(name: string, open: OpenStore): void {
  describe(`Wallet ledger contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => cleanup());

    it('knows an unseen wallet as zero, and a top-up creates it with a TOP_UP entry', async () => {
      assert.deepEqual(await store.wallets.balance(WALLET), {
        wallet: WALLET,
        balance: 0,
        reserved: 0,
      });
      const outcome = await store.wallets.credit(topUp(5 * USD, 'p1'));
      assert.equal(outcome.credited, true);
      assert.equal(outcome.entry.type, 'TOP_UP');
      assert.equal(outcome.entry.amount, 5 * USD);
      assert.equal(outcome.entry.balanceAfter, 5 * USD);
      assert.equal(outcome.entry.network, 'eip155:84532');
      assert.equal(outcome.entry.transaction, '0xp1');
      assert.equal((await store.wallets.balance(WALLET)).balance, 5 * USD);
    });

    it('credits one payment once, however often and however concurrently it is submitted', async () => {
      const first = await store.wallets.credit(topUp(5 * USD, 'same'));
      const again = await store.wallets.credit(topUp(5 * USD, 'same'));
      assert.equal(again.credited, false);
      assert.equal(again.entry.id, first.entry.id);
      const racing = await Promise.all(
        Array.from({ length: 8 }, () => store.wallets.credit(topUp(7 * USD, 'raced'))),
      );
      assert.equal(racing.filter((outcome) => outcome.credited).length, 1);
      assert.equal((await store.wallets.balance(WALLET)).balance, 12 * USD);
      assert.equal((await store.wallets.entries(WALLET, { limit: 100, offset: 0 })).length, 2);
    });

    it('refuses a credit past the exact integer range, and amounts that are not whole nanos', async () => {
      await store.wallets.credit(topUp(MAX_NANOS - 10, 'big'));
      await assert.rejects(store.wallets.credit(topUp(11, 'over')), CreditRefusedError);
      assert.equal((await store.wallets.balance(WALLET)).balance, MAX_NANOS - 10);
      await assert.rejects(store.wallets.credit(topUp(1.5, 'half')), RangeError);
      await assert.rejects(store.wallets.credit(topUp(-1, 'negative')), RangeError);
      // The refused credits took no idempotency key: the same key can pay once the amount fits.
      assert.equal((await store.wallets.credit(topUp(10, 'over'))).credited, true);
    });

    it('reserves only what is free above the floor: 100 concurrent holds of $1 on $30 grant 30', async () => {
      await store.wallets.credit(topUp(30 * USD, 'p'));
      const granted = await Promise.all(
        Array.from({ length: 100 }, (_, index) =>
          store.wallets.reserve(reserveOf(`r${index}`, USD)),
        ),
      );
      assert.equal(granted.filter(Boolean).length, 30);
      assert.deepEqual(await store.wallets.balance(WALLET), {
        wallet: WALLET,
        balance: 30 * USD,
        reserved: 30 * USD,
      });
      assert.equal(await store.wallets.reserve(reserveOf('unknown', 1, 0)), false);
    });

    it('keeps the floor free (the minimum balance)', async () => {
      await store.wallets.credit(topUp(USD, 'p'));
      assert.equal(await store.wallets.reserve(reserveOf('a', 0.95 * USD, 0.1 * USD)), false);
      assert.equal(await store.wallets.reserve(reserveOf('b', 0.9 * USD, 0.1 * USD)), true);
    });

    it('settles once: charges min(actual, held) as a CHARGE entry and frees the hold', async () => {
      await store.wallets.credit(topUp(10 * USD, 'p'));
      await store.wallets.reserve(reserveOf('r', 2 * USD));
      const settled = await store.wallets.settle('r', 3 * USD, LATER);
      assert.equal(settled.applied, true);
      assert.equal(settled.entry?.type, 'CHARGE');
      assert.equal(settled.entry?.amount, -2 * USD);
      assert.equal(settled.entry?.balanceAfter, 8 * USD);
      assert.equal(settled.entry?.requestId, 'chatcmpl-r');
      assert.equal(settled.entry?.modelId, 'm');
      assert.deepEqual(await store.wallets.settle('r', USD, LATER), {
        applied: false,
        entry: null,
      });
      assert.deepEqual(await store.wallets.balance(WALLET), {
        wallet: WALLET,
        balance: 8 * USD,
        reserved: 0,
      });
      await store.wallets.reserve(reserveOf('free', USD));
      assert.deepEqual(await store.wallets.settle('free', 0, LATER), {
        applied: true,
        entry: null,
      });
      assert.equal((await store.wallets.balance(WALLET)).reserved, 0);
    });

    it('releases a hold once, and the holds whose lease ended', async () => {
      await store.wallets.credit(topUp(10 * USD, 'p'));
      await store.wallets.reserve(reserveOf('a', USD));
      await store.wallets.reserve(reserveOf('b', USD));
      await store.wallets.reserve({
        ...reserveOf('c', USD),
        leaseUntil: '2026-12-06T13:00:00.000Z',
      });
      assert.equal(await store.wallets.release('a'), true);
      assert.equal(await store.wallets.release('a'), false);
      await store.wallets.renew(['b'], '2026-12-06T14:00:00.000Z');
      assert.equal(await store.wallets.releaseExpired('2026-12-06T13:30:00.000Z'), 1);
      assert.equal((await store.wallets.balance(WALLET)).reserved, USD);
      assert.equal(await store.wallets.settle('c', USD, LATER).then((s) => s.applied), false);
    });

    it('lists entries newest first, by page, with refunds', async () => {
      await store.wallets.credit(topUp(5 * USD, 'p1'));
      await store.wallets.credit({
        ...topUp(6 * USD, 'p2'),
        createdAt: '2026-12-06T12:01:00.000Z',
      });
      await store.wallets.credit({
        wallet: WALLET,
        type: 'REFUND',
        amount: USD,
        idempotencyKey: 'refund:chatcmpl-x',
        requestId: 'chatcmpl-x',
        modelId: 'm',
        createdAt: '2026-12-06T12:02:00.000Z',
      });
      const page = await store.wallets.entries(WALLET, { limit: 2, offset: 0 });
      assert.deepEqual(
        page.map((entry) => [entry.type, entry.amount, entry.balanceAfter]),
        [
          ['REFUND', USD, 12 * USD],
          ['TOP_UP', 6 * USD, 11 * USD],
        ],
      );
      const rest = await store.wallets.entries(WALLET, { limit: 2, offset: 2 });
      assert.deepEqual(
        rest.map((entry) => entry.transaction),
        ['0xp1'],
      );
      assert.deepEqual(await store.wallets.entries('solana:other', { limit: 5, offset: 0 }), []);
    });

    it('uses a nonce once while it is valid, across callers', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.wallets.claimNonce('eip155:0xaa:n1', LATER, AT)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await store.wallets.claimNonce('eip155:0xaa:n2', LATER, AT), true);
      // Pruning removes only nonces whose messages are no longer valid.
      assert.equal(await store.wallets.claimNonce('eip155:0xaa:n3', LATER, LATER), true);
      assert.equal(await store.wallets.claimNonce('eip155:0xaa:n1', LATER, LATER), false);
    });

    it('takes a stored nonce once, across callers, and never an unknown or expired one', async () => {
      assert.equal(await store.wallets.claimNonce('web3key:t1', LATER, AT), true);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.wallets.takeNonce('web3key:t1', AT)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await store.wallets.takeNonce('web3key:never', AT), false);
      assert.equal(await store.wallets.claimNonce('web3key:t2', AT, AT), true);
      assert.equal(await store.wallets.takeNonce('web3key:t2', LATER), false);
    });

    it('records a pending top-up once; the credit of its key deletes it, a drop deletes it', async () => {
      const pending = (key: string, createdAt: string) => ({
        paymentKey: key,
        wallet: WALLET,
        amount: 7 * USD,
        network: 'eip155:84532',
        asset: '0x00000000000000000000000000000000000000cc',
        payTo: '0x00000000000000000000000000000000000000dd',
        value: '7000000',
        authorizer: '0x00000000000000000000000000000000000000aa',
        nonce: `0x${'ab'.repeat(32)}`,
        validBefore: LATER,
        fromBlock: '12',
        createdAt,
      });
      await store.wallets.recordPendingTopUp(pending('k1', LATER));
      await store.wallets.recordPendingTopUp({ ...pending('k1', LATER), amount: 1 });
      await store.wallets.recordPendingTopUp(pending('k2', AT));
      assert.deepEqual(await store.wallets.pendingTopUp('k1'), pending('k1', LATER));
      assert.deepEqual(
        (await store.wallets.pendingTopUps(10)).map((row) => row.paymentKey),
        ['k2', 'k1'],
        'oldest first; the second record of k1 changed nothing',
      );
      await store.wallets.credit(topUp(7 * USD, 'k1'));
      assert.equal(await store.wallets.pendingTopUp('k1'), undefined);
      await store.wallets.recordPendingTopUp(pending('k1', LATER));
      await store.wallets.credit(topUp(7 * USD, 'k1'));
      assert.equal(
        await store.wallets.pendingTopUp('k1'),
        undefined,
        'an already credited key too',
      );
      assert.equal((await store.wallets.balance(WALLET)).balance, 7 * USD);
      await store.wallets.dropPendingTopUp('k2');
      assert.deepEqual(await store.wallets.pendingTopUps(10), []);
    });
  });
}
