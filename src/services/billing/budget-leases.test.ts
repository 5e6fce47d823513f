import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePerStore, type OpenedStore } from '../../../test/support/stores-under-test.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { ApiKeyRecord, Store } from '../../storage/store.ts';
import { KeyService } from '../key-service.ts';
import type { BillingRequest, Settlement } from './meter.ts';
import { Meter } from './meter.ts';
import { toNanos } from './money.ts';
import { periodOf } from './limit-period.ts';
import { Metrics } from '../../observability/metrics.ts';
import type { LeaseOptions } from './lease-book.ts';

const LEASES: LeaseOptions = { worstCases: 8, minimumWorstCases: 2, flushMs: 5, idleMs: 60_000 };

const request = (index: number, usd: number): BillingRequest => ({
  modelId: 'paid',
  modelType: 'text',
  requestId: `chatcmpl-lease-${index}`,
  limitClass: 'S',
  tokens: 100,
  worstCase: { usd, diem: usd },
  privacy: 'private',
});

const settle = (settlement: Settlement, usd: number): Promise<void> =>
  settlement.settle({ promptTokens: 10, completionTokens: 5 }, { usd, diem: usd }, 'completed');

async function freshKey(
  store: Store,
  accountUsd: number,
  limits: ApiKeyRecord['consumptionLimits'] = { usd: null, diem: null, vcu: null },
): Promise<ApiKeyRecord> {
  const accountId = `lease-${Math.random().toString(36).slice(2)}`;
  await store.accounts.ensure(accountId, accountId, new Date().toISOString());
  if (accountUsd > 0) await store.accounts.credit(accountId, 'USD', toNanos(accountUsd));
  const { record } = await new KeyService(store).create({
    apiKeyType: 'INFERENCE',
    description: 'leases',
    accountId,
    consumptionLimits: limits,
  });
  return record;
}

const books = async (store: Store, accountId: string) => {
  const account = (await store.accounts.find(accountId))!;
  return { balance: account.usdBalance, reserved: account.usdReserved };
};

/** Settles the fulfilled reservations charging `usd` each; how many there were. The rejected must be `code`. */
async function settleAll(
  outcomes: PromiseSettledResult<Settlement>[],
  usd: number,
  code: string,
): Promise<number> {
  let served = 0;
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') {
      served += 1;
      await settle(outcome.value, usd);
    } else
      assert.ok(
        outcome.reason instanceof VeniceError && outcome.reason.code === code,
        String(outcome.reason),
      );
  }
  return served;
}

/**
 * Rounds of 16 requests at once (0.01 worst case, charged in full) over `meters` until a round serves none; after
 * each, every lease written, checked (never more reserved than free) and closed, so money a lease held while the
 * other instance was refused is spent in the next round. How many were served; every refusal must be `code`.
 */
async function spendAll(meters: Meter[], key: ApiKeyRecord, code: string): Promise<number> {
  let served = 0;
  for (let round = 0; round < 20; round++) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, index) =>
        meters[index % meters.length]!.for(key).reserve(request(round * 100 + index, 0.01)),
      ),
    );
    const now = await settleAll(outcomes, 0.01, code);
    for (const meter of meters) await meter.closeLeases();
    served += now;
    if (now === 0) return served;
  }
  throw new Error('still serving after 20 rounds');
}

/** Runs `body` with two Meters (two instances) with leases on one fresh store, then closes them and the store. */
async function withTwoInstances(
  open: () => Promise<OpenedStore>,
  body: (store: Store, meters: Meter[]) => Promise<void>,
): Promise<void> {
  const { store, cleanup } = await open();
  const meters = [
    new Meter(store, undefined, { leases: LEASES }),
    new Meter(store, undefined, { leases: LEASES }),
  ];
  try {
    await body(store, meters);
  } finally {
    for (const meter of meters) {
      await meter.closeLeases();
      meter.close();
    }
    await cleanup();
  }
}

async function leaseSuite(open: () => Promise<OpenedStore>): Promise<void> {
  it('requests reserve and settle in memory; their charges and usage records reach the store in batches, exact', async () => {
    const { store, cleanup } = await open();
    let transactions = 0;
    const { chargeLease } = store.ledger;
    store.ledger.chargeLease = (...args) => {
      transactions += 1;
      return chargeLease.apply(store.ledger, args);
    };
    const meter = new Meter(store, undefined, { leases: LEASES });
    try {
      const key = await freshKey(store, 10);
      const billing = meter.for(key);
      const settlements = await Promise.all(
        Array.from({ length: 6 }, (_, index) => billing.reserve(request(index, 0.01))),
      );
      // One lease of 8 worst cases holds them all: 0.08 reserved in the store, nothing per request.
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(10),
        reserved: toNanos(0.08),
      });
      // The balance a client is shown counts the lease's unused part as free.
      assert.equal((await meter.balances(key.accountId)).usd, 10 - 0.06);
      await Promise.all(
        settlements.map((settlement, index) =>
          index === 5 ? settlement.release('failed') : settle(settlement, 0.004),
        ),
      );
      assert.equal((await meter.balances(key.accountId)).usd, 10 - 0.02);
      await meter.sync();
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(10) - 5 * toNanos(0.004),
        reserved: toNanos(0.08) - 5 * toNanos(0.004),
      });
      assert.ok(transactions <= 2, `${transactions} charge transactions for 6 requests`);
      const records = await store.usage.list({ accountId: key.accountId, limit: 100 });
      assert.equal(records.length, 6);
      assert.deepEqual(
        records.map((record) => record.requestId).sort(),
        settlements.map((_, index) => `chatcmpl-lease-${index}`).sort(),
      );
      assert.equal(records.filter((record) => record.status === 'failed').length, 1);
      await meter.closeLeases();
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(10) - 5 * toNanos(0.004),
        reserved: 0,
      });
    } finally {
      await meter.closeLeases();
      meter.close();
      await cleanup();
    }
  });

  it('at a balance limit, two instances at once never spend more than the balance, refuse with 402 as without leases, and reach the last cent', async () => {
    await withTwoInstances(open, async (store, meters) => {
      // 0.235 USD: 23 requests of a 0.01 worst case fit.
      const key = await freshKey(store, 0.235);
      assert.equal(await spendAll(meters, key, 'INSUFFICIENT_BALANCE'), 23);
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(0.235) - 23 * toNanos(0.01),
        reserved: 0,
      });
      assert.equal((await store.usage.list({ accountId: key.accountId, limit: 100 })).length, 23);
    });
  });

  it("at a key's spend limit, two instances at once never spend past it, and reach its last cent", async () => {
    await withTwoInstances(open, async (store, meters) => {
      const key = await freshKey(store, 100, { usd: toNanos(0.19), diem: null, vcu: null });
      assert.equal(await spendAll(meters, key, 'API_KEY_USD_SPEND_LIMIT_EXCEEDED'), 19);
      const spend = await store.ledger.keySpend(key.id, periodOf(key.limitPeriod, new Date()));
      assert.deepEqual([spend.usdSpent, spend.usdReserved], [19 * toNanos(0.01), 0]);
    });
  });

  it("a request waiting on another's lease that was refused (its worst case too big) is decided on its own", async () => {
    const { store, cleanup } = await open();
    const meter = new Meter(store, undefined, { leases: LEASES });
    try {
      const key = await freshKey(store, 1);
      const [big, small] = await Promise.allSettled([
        meter.for(key).reserve(request(1, 5)),
        meter.for(key).reserve(request(2, 0.01)),
      ]);
      assert.ok(
        big.status === 'rejected' &&
          big.reason instanceof VeniceError &&
          big.reason.code === 'INSUFFICIENT_BALANCE',
      );
      assert.equal(small.status, 'fulfilled');
      if (small.status === 'fulfilled') await settle(small.value, 0.01);
      await meter.closeLeases();
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(1) - toNanos(0.01),
        reserved: 0,
      });
    } finally {
      await meter.closeLeases();
      meter.close();
      await cleanup();
    }
  });

  it("a key's limit lowered: its lease goes back and the next request is decided under the new limit", async () => {
    const { store, cleanup } = await open();
    const meter = new Meter(store, undefined, { leases: LEASES });
    try {
      const key = await freshKey(store, 10, { usd: toNanos(1), diem: null, vcu: null });
      await settle(await meter.for(key).reserve(request(1, 0.01)), 0.01);
      // The lease holds 0.08 more; the limit drops to what is spent.
      const lowered = await store.apiKeys.update(key.id, {
        consumptionLimits: { usd: toNanos(0.01), diem: null, vcu: null },
      });
      meter.keyChanged(key.id);
      await assert.rejects(
        meter.for(lowered!).reserve(request(2, 0.01)),
        (error: unknown) =>
          error instanceof VeniceError && error.code === 'API_KEY_USD_SPEND_LIMIT_EXCEEDED',
      );
      await meter.closeLeases();
      const spend = await store.ledger.keySpend(key.id, periodOf(key.limitPeriod, new Date()));
      assert.deepEqual([spend.usdSpent, spend.usdReserved], [toNanos(0.01), 0]);
    } finally {
      await meter.closeLeases();
      meter.close();
      await cleanup();
    }
  });

  it('a failed write of charges keeps them for the next try and sends requests to the store one by one meanwhile', async () => {
    const { store, cleanup } = await open();
    const { chargeLease, commitMany } = store.ledger;
    let failing = false;
    let perRequest = 0;
    store.ledger.chargeLease = (...args) =>
      failing ? Promise.reject(new Error('disk full')) : chargeLease.apply(store.ledger, args);
    store.ledger.commitMany = (batch) => {
      perRequest += batch.reserves.length;
      return commitMany.apply(store.ledger, [batch]);
    };
    const errors: unknown[] = [];
    const meter = new Meter(store, undefined, {
      leases: LEASES,
      onLeaseTrouble: ({ error }) => {
        if (error !== undefined) errors.push(error);
      },
    });
    try {
      const key = await freshKey(store, 1);
      failing = true;
      await settle(await meter.for(key).reserve(request(1, 0.01)), 0.01);
      assert.equal(meter.openReservations, 0);
      await meter.sync();
      assert.equal(errors.length, 1);
      // The next request reserves in the store, not from the lease.
      const next = await meter.for(key).reserve(request(2, 0.01));
      assert.equal(perRequest, 1);
      assert.equal(meter.openReservations, 1);
      await settle(next, 0.01);
      failing = false;
      await meter.sync();
      await meter.closeLeases();
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(1) - 2 * toNanos(0.01),
        reserved: 0,
      });
      assert.equal((await store.usage.list({ accountId: key.accountId, limit: 10 })).length, 2);
    } finally {
      failing = false;
      await meter.closeLeases();
      meter.close();
      await cleanup();
    }
  });

  it('a lease released under its instance (renewals stopped, the sweep ran) loses its unwritten charges, never charging twice', async () => {
    const { store, cleanup } = await open();
    const lost: number[] = [];
    // A lease of 1 ms: the sweep below finds it expired; renewals come every 20 s, too late.
    const metrics = new Metrics();
    const meter = new Meter(store, undefined, {
      leaseSeconds: 60,
      metrics,
      now: () => new Date(Date.now() - 59_999),
      leases: { ...LEASES, flushMs: 60_000 },
      onLeaseTrouble: ({ lost: gone }) => {
        if (gone !== undefined) lost.push(gone.charges);
      },
    });
    try {
      const key = await freshKey(store, 1);
      const settlements = await Promise.all(
        Array.from({ length: 3 }, (_, index) => meter.for(key).reserve(request(index, 0.01))),
      );
      for (const settlement of settlements) await settle(settlement, 0.01);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await store.ledger.releaseExpired(new Date().toISOString()), 1);
      await meter.sync();
      assert.deepEqual(lost, [3]);
      assert.match(await metrics.render(), /^rialto_budget_lease_charges_lost_total 3$/m);
      assert.deepEqual(await books(store, key.accountId), { balance: toNanos(1), reserved: 0 });
      // The next request takes a new lease.
      await settle(await meter.for(key).reserve(request(10, 0.01)), 0.01);
      await meter.closeLeases();
      assert.deepEqual(await books(store, key.accountId), {
        balance: toNanos(1) - toNanos(0.01),
        reserved: 0,
      });
    } finally {
      await meter.closeLeases();
      meter.close();
      await cleanup();
    }
  });
}

await definePerStore('Meter with budget leases', (name, open) => {
  describe(`Meter with budget leases: ${name}`, () => {
    void leaseSuite(open);
  });
});
