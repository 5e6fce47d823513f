import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaseCharge, LeaseRequest, Store } from '../../src/storage/store.ts';
import { request } from './ledger-batch-contract.ts';

const NANOS = 1_000_000_000;
let sequence = 0;

/** ledger-batch-contract's reservation request of one NANOS, wanting a lease of 10 and at least 4. */
function leaseRequest(
  accountId: string,
  keyId: string,
  overrides: Partial<LeaseRequest> = {},
): LeaseRequest {
  return { ...request(accountId, keyId), size: 10 * NANOS, minimum: 4 * NANOS, ...overrides };
}

function charge(amount: number, status = 'completed'): LeaseCharge {
  sequence += 1;
  return {
    id: `lc-${process.pid}-${sequence}-${Math.random().toString(36).slice(2)}`,
    requestId: `chatcmpl-l${sequence}`,
    modelId: 'm',
    usage: {
      modelType: 'text',
      amount,
      promptTokens: 10,
      completionTokens: 5,
      cachedTokens: 0,
      status,
      executionMs: 3,
      createdAt: new Date().toISOString(),
    },
  };
}

/** Budget leases (LedgerRepository.acquireLease, chargeLease): every dialect must pass it unchanged. */
export function defineLedgerLeaseContract(
  name: string,
  open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`ledger budget leases: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await open()));
    after(async () => cleanup());

    const account = async (usd: number, diem = 0): Promise<string> => {
      const id = `acct-l-${Math.random().toString(36).slice(2)}`;
      await store.accounts.ensure(id, id, new Date().toISOString());
      if (usd > 0) await store.accounts.credit(id, 'USD', usd);
      if (diem > 0) await store.accounts.credit(id, 'DIEM', diem);
      return id;
    };
    const held = async (id: string) => {
      const row = await store.accounts.find(id);
      return {
        usd: row!.usdBalance,
        usdReserved: row!.usdReserved,
        diem: row!.diemBalance,
        diemReserved: row!.diemReserved,
      };
    };

    it('grants the size wanted in the currency reserve would take, and holds it like a reservation', async () => {
      const id = await account(100 * NANOS);
      const request = leaseRequest(id, 'kl1');
      assert.deepEqual(await store.ledger.acquireLease(request), {
        reserved: true,
        currency: 'USD',
        amount: 10 * NANOS,
      });
      assert.deepEqual(await held(id), {
        usd: 100 * NANOS,
        usdReserved: 10 * NANOS,
        diem: 0,
        diemReserved: 0,
      });
      assert.equal(await store.ledger.stateOf(request.reservationId), 'open');
      const spend = await store.ledger.keySpend('kl1', '2026-11-25');
      assert.equal(spend.usdReserved, 10 * NANOS);
    });

    it('takes DIEM first exactly when DIEM covers the worst case, even if it cannot cover the size', async () => {
      // 12 DIEM covers a 1-DIEM worst case but not a 10-DIEM lease and the half left for others: reserve() would
      // take DIEM, so the lease is half of DIEM's 12 (not USD's 10); with 2 DIEM, none (under the minimum).
      const id = await account(100 * NANOS, 12 * NANOS);
      assert.deepEqual(await store.ledger.acquireLease(leaseRequest(id, 'kl2')), {
        reserved: true,
        currency: 'DIEM',
        amount: 6 * NANOS,
      });
      const low = await account(100 * NANOS, 2 * NANOS);
      assert.deepEqual(await store.ledger.acquireLease(leaseRequest(low, 'kl3')), {
        reserved: false,
        reason: 'fallback',
      });
      assert.deepEqual(await held(low), {
        usd: 100 * NANOS,
        usdReserved: 0,
        diem: 2 * NANOS,
        diemReserved: 0,
      });
    });

    it("is bounded by half of the key's limit left, and refuses as reserve would", async () => {
      const id = await account(100 * NANOS);
      const limits = { keyLimits: { USD: 16 * NANOS, DIEM: null } };
      for (const amount of [8 * NANOS, 4 * NANOS])
        assert.deepEqual(await store.ledger.acquireLease(leaseRequest(id, 'kl4', limits)), {
          reserved: true,
          currency: 'USD',
          amount,
        });
      assert.deepEqual(await store.ledger.acquireLease(leaseRequest(id, 'kl4', limits)), {
        reserved: false,
        reason: 'fallback',
      });
      const tight = { keyLimits: { USD: NANOS / 2, DIEM: null } };
      assert.deepEqual(await store.ledger.acquireLease(leaseRequest(id, 'kl4b', tight)), {
        reserved: false,
        reason: 'API_KEY_USD_SPEND_LIMIT_EXCEEDED',
      });
      const poor = await account(NANOS / 2);
      assert.deepEqual(await store.ledger.acquireLease(leaseRequest(poor, 'kl5')), {
        reserved: false,
        reason: 'INSUFFICIENT_BALANCE',
      });
    });

    it('charges a batch: the lease shrinks, balance and key spend take the total, each request gets a usage record', async () => {
      const id = await account(100 * NANOS);
      const request = leaseRequest(id, 'kl6');
      await store.ledger.acquireLease(request);
      const charges = [charge(NANOS), charge(NANOS / 4), charge(0, 'failed')];
      assert.equal(await store.ledger.chargeLease(request.reservationId, charges, false), true);
      const total = NANOS + NANOS / 4;
      assert.deepEqual(await held(id), {
        usd: 100 * NANOS - total,
        usdReserved: 10 * NANOS - total,
        diem: 0,
        diemReserved: 0,
      });
      const spend = await store.ledger.keySpend('kl6', '2026-11-25');
      assert.equal(spend.usdSpent, total);
      assert.equal(spend.usdReserved, 10 * NANOS - total);
      const records = await store.usage.list({ accountId: id, limit: 10 });
      assert.deepEqual(records.map((record) => record.id).sort(), charges.map((c) => c.id).sort());
      const first = records.find((record) => record.id === charges[0]!.id)!;
      assert.equal(first.amount, NANOS);
      assert.equal(first.currency, 'USD');
      assert.equal(first.keyId, 'kl6');
      assert.equal(first.requestId, charges[0]!.requestId);
      assert.equal(records.find((record) => record.id === charges[2]!.id)!.status, 'failed');

      // Closing charges the last batch and frees the rest: nothing stays reserved, no record for the lease itself.
      assert.equal(
        await store.ledger.chargeLease(request.reservationId, [charge(NANOS)], true),
        true,
      );
      assert.deepEqual(await held(id), {
        usd: 100 * NANOS - total - NANOS,
        usdReserved: 0,
        diem: 0,
        diemReserved: 0,
      });
      assert.equal((await store.ledger.keySpend('kl6', '2026-11-25')).usdReserved, 0);
      assert.equal(await store.ledger.stateOf(request.reservationId), 'settled');
      assert.equal((await store.usage.list({ accountId: id, limit: 10 })).length, 4);
      // Closed: a later charge writes nothing.
      assert.equal(
        await store.ledger.chargeLease(request.reservationId, [charge(NANOS)], false),
        false,
      );
      assert.equal((await held(id)).usd, 100 * NANOS - total - NANOS);
    });

    it('refuses, writing nothing, a charge past what the lease holds or on a lease released by expiry', async () => {
      const id = await account(100 * NANOS);
      const request = leaseRequest(id, 'kl7', {
        leaseUntil: new Date(Date.now() - 1).toISOString(),
      });
      await store.ledger.acquireLease(request);
      assert.equal(
        await store.ledger.chargeLease(request.reservationId, [charge(11 * NANOS)], false),
        false,
      );
      assert.deepEqual(await held(id), {
        usd: 100 * NANOS,
        usdReserved: 10 * NANOS,
        diem: 0,
        diemReserved: 0,
      });
      // The process holding it died: the sweep frees the lease, with no usage record of its own.
      assert.ok((await store.ledger.releaseExpired(new Date().toISOString())) >= 1);
      assert.equal(await store.ledger.stateOf(request.reservationId), 'released');
      assert.deepEqual(await held(id), {
        usd: 100 * NANOS,
        usdReserved: 0,
        diem: 0,
        diemReserved: 0,
      });
      assert.equal((await store.usage.list({ accountId: id, limit: 10 })).length, 0);
      assert.equal((await store.ledger.keySpend('kl7', '2026-11-25')).usdReserved, 0);
      assert.equal(
        await store.ledger.chargeLease(request.reservationId, [charge(NANOS)], false),
        false,
      );
      assert.equal((await held(id)).usd, 100 * NANOS);
    });

    it('concurrent leases on one account never grant more than its free balance', async () => {
      const id = await account(25 * NANOS);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => store.ledger.acquireLease(leaseRequest(id, 'kl8'))),
      );
      const granted = outcomes.reduce(
        (sum, outcome) => sum + (outcome.reserved ? outcome.amount : 0),
        0,
      );
      assert.ok(granted <= 25 * NANOS, `granted ${granted}`);
      // 10 (of 25), 7.5 (half of 15), then fallbacks: half of 7.5 is under the 4-NANOS minimum.
      assert.equal(granted, 17.5 * NANOS);
      assert.equal((await held(id)).usdReserved, 17.5 * NANOS);
    });
  });
}
