import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ReserveRequest, Store } from '../../src/storage/store.ts';

const NANOS = 1_000_000_000;
let sequence = 0;

function request(
  overrides: Partial<ReserveRequest> & Pick<ReserveRequest, 'accountId' | 'keyId'>,
): ReserveRequest {
  sequence += 1;
  return {
    reservationId: `r-${process.pid}-${sequence}-${Math.random().toString(36).slice(2)}`,
    period: '2026-11-25',
    keyLimits: { USD: null, DIEM: null },
    amount: NANOS,
    requestId: `chatcmpl-${sequence}`,
    modelId: 'm',
    createdAt: new Date().toISOString(),
    leaseUntil: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

const usage = (amount: number) => ({
  modelType: 'text',
  amount,
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 0,
  status: 'ok',
  executionMs: 3,
  createdAt: new Date().toISOString(),
});

/** The ledger's contract: every dialect must pass it unchanged (store.ts, LedgerRepository). */
export function defineLedgerContract(
  name: string,
  open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`ledger contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await open()));
    after(async () => cleanup());

    const account = async (usd: number, diem = 0): Promise<string> => {
      const id = `acct-${Math.random().toString(36).slice(2)}`;
      await store.accounts.ensure(id, id, new Date().toISOString());
      if (usd > 0) await store.accounts.credit(id, 'USD', usd);
      if (diem > 0) await store.accounts.credit(id, 'DIEM', diem);
      return id;
    };

    it('reserve then settle charges the actual cost, frees the rest and records usage once', async () => {
      const accountId = await account(5 * NANOS);
      const reserve = request({ accountId, keyId: 'k1', amount: 2 * NANOS });
      assert.equal(await store.ledger.stateOf(reserve.reservationId), undefined);
      assert.deepEqual(await store.ledger.reserve(reserve), { reserved: true, currency: 'USD' });
      assert.equal(await store.ledger.stateOf(reserve.reservationId), 'open');
      let state = (await store.accounts.find(accountId))!;
      assert.equal(state.usdReserved, 2 * NANOS);
      assert.equal(await store.ledger.settle(reserve.reservationId, usage(0.5 * NANOS)), true);
      assert.equal(
        await store.ledger.settle(reserve.reservationId, usage(0.5 * NANOS)),
        false,
        'settled once',
      );
      assert.equal(
        await store.ledger.release(reserve.reservationId, 'late', new Date().toISOString()),
        false,
      );
      assert.equal(await store.ledger.stateOf(reserve.reservationId), 'settled');
      state = (await store.accounts.find(accountId))!;
      assert.equal(state.usdBalance, 4.5 * NANOS);
      assert.equal(state.usdReserved, 0);
      const records = await store.usage.list({ accountId, limit: 10 });
      assert.equal(records.length, 1);
      assert.equal(records[0]!.amount, 0.5 * NANOS);
      assert.equal(records[0]!.requestId, reserve.requestId);
      assert.deepEqual(await store.ledger.keySpend('k1', '2026-11-25'), {
        usdSpent: 0.5 * NANOS,
        usdReserved: 0,
        diemSpent: 0,
        diemReserved: 0,
      });
    });

    it('a charge never exceeds the reservation', async () => {
      const accountId = await account(NANOS);
      const reserve = request({ accountId, keyId: 'k-cap', amount: NANOS / 2 });
      await store.ledger.reserve(reserve);
      await store.ledger.settle(reserve.reservationId, usage(3 * NANOS));
      assert.equal((await store.accounts.find(accountId))!.usdBalance, NANOS / 2);
    });

    it('DIEM pays first; USD when DIEM cannot cover the whole amount', async () => {
      const accountId = await account(10 * NANOS, 1.5 * NANOS);
      assert.deepEqual(await store.ledger.reserve(request({ accountId, keyId: 'k2' })), {
        reserved: true,
        currency: 'DIEM',
      });
      assert.deepEqual(await store.ledger.reserve(request({ accountId, keyId: 'k2' })), {
        reserved: true,
        currency: 'USD',
      });
    });

    it('refusals name their cause and hold nothing', async () => {
      const poor = await account(NANOS / 2);
      assert.deepEqual(await store.ledger.reserve(request({ accountId: poor, keyId: 'k3' })), {
        reserved: false,
        reason: 'INSUFFICIENT_BALANCE',
      });
      const rich = await account(100 * NANOS);
      const limited = request({
        accountId: rich,
        keyId: 'k4',
        keyLimits: { USD: NANOS / 2, DIEM: null },
      });
      assert.deepEqual(await store.ledger.reserve(limited), {
        reserved: false,
        reason: 'API_KEY_USD_SPEND_LIMIT_EXCEEDED',
      });
      const diemRich = await account(0, 100 * NANOS);
      assert.deepEqual(
        await store.ledger.reserve(
          request({ accountId: diemRich, keyId: 'k5', keyLimits: { USD: null, DIEM: 0 } }),
        ),
        { reserved: false, reason: 'API_KEY_DIEM_SPEND_LIMIT_EXCEEDED' },
      );
      for (const id of [poor, rich, diemRich]) {
        const state = (await store.accounts.find(id))!;
        assert.equal(state.usdReserved + state.diemReserved, 0);
      }
    });

    it('200 concurrent reservations against a key limit of 50 admit exactly 50', async () => {
      const accountId = await account(1000 * NANOS);
      const keyId = `k-race-${Math.random()}`;
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () =>
          store.ledger.reserve(
            request({ accountId, keyId, keyLimits: { USD: 50 * NANOS, DIEM: null } }),
          ),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome.reserved).length, 50);
      assert.ok(
        outcomes
          .filter((outcome) => !outcome.reserved)
          .every(
            (outcome) => !outcome.reserved && outcome.reason === 'API_KEY_USD_SPEND_LIMIT_EXCEEDED',
          ),
      );
      assert.equal((await store.ledger.keySpend(keyId, '2026-11-25')).usdReserved, 50 * NANOS);
    });

    it('200 concurrent reservations against a balance of 30 admit exactly 30', async () => {
      const accountId = await account(30 * NANOS);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () =>
          store.ledger.reserve(request({ accountId, keyId: 'k-balance' })),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome.reserved).length, 30);
      assert.equal((await store.accounts.find(accountId))!.usdReserved, 30 * NANOS);
    });

    it('expired leases are released without charge, live ones kept, renewed ones extended', async () => {
      const accountId = await account(10 * NANOS);
      const past = new Date(Date.now() - 1000).toISOString();
      const expired = request({ accountId, keyId: 'k6', leaseUntil: past });
      const renewed = request({ accountId, keyId: 'k6', leaseUntil: past });
      const live = request({ accountId, keyId: 'k6' });
      for (const reserve of [expired, renewed, live]) await store.ledger.reserve(reserve);
      await store.ledger.renew(
        [renewed.reservationId],
        new Date(Date.now() + 60_000).toISOString(),
      );
      assert.equal(await store.ledger.releaseExpired(new Date().toISOString()), 1);
      const state = (await store.accounts.find(accountId))!;
      assert.equal(state.usdBalance, 10 * NANOS);
      assert.equal(state.usdReserved, 2 * NANOS);
      assert.equal(
        await store.ledger.settle(expired.reservationId, usage(NANOS)),
        false,
        'a released reservation cannot be charged',
      );
      assert.deepEqual(
        [
          await store.ledger.stateOf(expired.reservationId),
          await store.ledger.stateOf(live.reservationId),
        ],
        ['released', 'open'],
      );
    });

    it('renews many leases at once, past one statement, and never reopens a closed reservation', async () => {
      const accountId = await account(2_000 * NANOS);
      const past = new Date(Date.now() - 1000).toISOString();
      const held = Array.from({ length: 1_203 }, () =>
        request({ accountId, keyId: 'k6b', leaseUntil: past }),
      );
      const outcomes = await store.ledger.reserveMany(held);
      assert.ok(outcomes.every((outcome) => outcome.reserved));
      const [settled, ...open] = held.map((reserve) => reserve.reservationId);
      assert.equal(await store.ledger.settle(settled!, usage(NANOS)), true);
      await store.ledger.renew(
        [settled!, ...open.slice(0, -1)],
        new Date(Date.now() + 60_000).toISOString(),
      );
      assert.equal(await store.ledger.releaseExpired(new Date().toISOString()), 1, 'only the last');
      assert.equal(await store.ledger.stateOf(settled!), 'settled');
      assert.equal(await store.ledger.stateOf(open.at(-1)!), 'released');
      assert.equal((await store.accounts.find(accountId))!.usdReserved, 1_201 * NANOS);
    });

    it('usage lists walk in (createdAt, id) order with a cursor, and key totals add up', async () => {
      const accountId = await account(100 * NANOS);
      const keyId = `k-walk-${Math.random()}`;
      for (let index = 0; index < 5; index++) {
        const reserve = request({ accountId, keyId });
        await store.ledger.reserve(reserve);
        await store.ledger.settle(reserve.reservationId, {
          ...usage(NANOS / 10),
          createdAt: `2026-11-25T00:00:0${index}.000Z`,
        });
      }
      const first = await store.usage.list({ accountId, limit: 2 });
      const rest = await store.usage.list({
        accountId,
        limit: 10,
        after: { createdAt: first[1]!.createdAt, id: first[1]!.id },
      });
      assert.deepEqual(
        [...first, ...rest].map((record) => record.createdAt),
        [0, 1, 2, 3, 4].map((index) => `2026-11-25T00:00:0${index}.000Z`),
      );
      assert.deepEqual(await store.usage.keyTotals(keyId, '2026-11-01T00:00:00.000Z'), {
        USD: NANOS / 2,
        DIEM: 0,
      });
    });
  });
}
