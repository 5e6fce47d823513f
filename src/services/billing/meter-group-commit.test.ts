import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../storage/sqlite-store.ts';
import type { LedgerRepository, Store } from '../../storage/store.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { KeyService } from '../key-service.ts';
import type { BillingRequest } from './meter.ts';
import { Meter } from './meter.ts';
import { toNanos } from './money.ts';

/**
 * The store's ledger, counting the transactions the Meter asks of it: the reservations and closings each carries
 * (`commitMany` counts under both that it holds), and the transactions themselves.
 */
function counting(store: Store): {
  store: Store;
  calls: { reserveMany: number[]; closeMany: number[]; transactions: number };
} {
  const calls = { reserveMany: [] as number[], closeMany: [] as number[], transactions: 0 };
  const ledger: LedgerRepository = {
    ...store.ledger,
    reserveMany: (requests) => {
      calls.reserveMany.push(requests.length);
      calls.transactions += 1;
      return store.ledger.reserveMany(requests);
    },
    closeMany: (entries) => {
      calls.closeMany.push(entries.length);
      calls.transactions += 1;
      return store.ledger.closeMany(entries);
    },
    commitMany: (batch) => {
      if (batch.reserves.length > 0) calls.reserveMany.push(batch.reserves.length);
      if (batch.closes.length > 0) calls.closeMany.push(batch.closes.length);
      calls.transactions += 1;
      return store.ledger.commitMany(batch);
    },
  };
  const { apiKeys, accounts, usage, jobs, characters, wallets, voices } = store;
  return {
    store: {
      apiKeys,
      accounts,
      ledger,
      usage,
      jobs,
      characters,
      wallets,
      voices,
      close: () => store.close(),
    },
    calls,
  };
}

const request = (index: number, usd: number): BillingRequest => ({
  modelId: 'paid',
  modelType: 'text',
  requestId: `chatcmpl-${index}`,
  limitClass: 'S',
  tokens: 100,
  worstCase: { usd, diem: usd },
  privacy: 'private',
});

describe('Meter: group commits', () => {
  let base: Store;
  before(async () => {
    base = await openSqliteStore(':memory:');
  });
  after(async () => base.close());

  it('20 requests at once reach the store as a batch or two of reservations and of settlements, the books exact', async () => {
    const { store, calls } = counting(base);
    const meter = new Meter(store);
    try {
      const { record } = await new KeyService(base).create({
        apiKeyType: 'INFERENCE',
        description: 'batch',
      });
      await base.accounts.credit('default', 'USD', toNanos(1));
      const billing = meter.for(record);
      const settlements = await Promise.all(
        Array.from({ length: 20 }, (_, index) => billing.reserve(request(index, 0.01))),
      );
      assert.ok(
        calls.reserveMany.length <= 2,
        `${calls.reserveMany.length} reservation transactions for 20 requests`,
      );
      assert.equal(
        calls.reserveMany.reduce((sum, size) => sum + size, 0),
        20,
      );
      await Promise.all(
        settlements.map((settlement, index) =>
          index % 4 === 0
            ? settlement.release('failed')
            : settlement.settle(
                { promptTokens: 10, completionTokens: 5 },
                { usd: 0.004, diem: 0.004 },
                'completed',
              ),
        ),
      );
      assert.ok(
        calls.closeMany.length <= 2,
        `${calls.closeMany.length} settlement transactions for 20 requests`,
      );
      const account = (await base.accounts.find('default'))!;
      assert.deepEqual(
        [account.usdBalance, account.usdReserved],
        [toNanos(1) - 15 * toNanos(0.004), 0],
      );
      assert.equal((await base.usage.list({ accountId: 'default', limit: 100 })).length, 20);
    } finally {
      meter.close();
    }
  });

  it('a refusal in a batch is the 402 it would be alone; the others are reserved', async () => {
    const { store } = counting(base);
    const meter = new Meter(store);
    try {
      const { record } = await new KeyService(base).create({
        apiKeyType: 'INFERENCE',
        description: 'limit',
        consumptionLimits: { usd: toNanos(0.05), diem: null, vcu: null },
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          meter.for(record).reserve(request(100 + index, 0.01)),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 5);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          assert.ok(
            outcome.reason instanceof VeniceError &&
              outcome.reason.code === 'API_KEY_USD_SPEND_LIMIT_EXCEEDED',
            String(outcome.reason),
          );
      }
      for (const outcome of outcomes)
        if (outcome.status === 'fulfilled') await outcome.value.release('failed');
    } finally {
      meter.close();
    }
  });

  it("one transaction carries a loop turn's settlements and the next requests' reservations", async () => {
    const { store, calls } = counting(base);
    const meter = new Meter(store);
    try {
      const { record } = await new KeyService(base).create({
        apiKeyType: 'INFERENCE',
        description: 'mixed',
      });
      await base.accounts.credit('default', 'USD', toNanos(1));
      const before = (await base.accounts.find('default'))!;
      const billing = meter.for(record);
      const first = await Promise.all(
        Array.from({ length: 6 }, (_, index) => billing.reserve(request(200 + index, 0.01))),
      );
      const transactions = calls.transactions;
      // Settling the first six and reserving six more in the same turn: one commit for all twelve.
      const [next] = await Promise.all([
        Promise.all(
          Array.from({ length: 6 }, (_, index) => billing.reserve(request(300 + index, 0.01))),
        ),
        ...first.map((settlement) =>
          settlement.settle(
            { promptTokens: 10, completionTokens: 5 },
            { usd: 0.002, diem: 0.002 },
            'completed',
          ),
        ),
      ]);
      assert.equal(calls.transactions - transactions, 1);
      await Promise.all(next.map((settlement) => settlement.release('failed')));
      const account = (await base.accounts.find('default'))!;
      assert.deepEqual(
        [account.usdBalance, account.usdReserved],
        [before.usdBalance - 6 * toNanos(0.002), 0],
      );
    } finally {
      meter.close();
    }
  });
});
