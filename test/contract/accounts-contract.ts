import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreditRefusedError, MAX_NANOS, type AccountRecord } from '../../src/storage/store.ts';
import type { WithStore } from './store-contract.ts';

const AT = '2026-03-01T12:00:00.000Z';
/** Past 2^32 nanos, so a dialect returning BIGINT as a string or a 32-bit int would show. */
const BIG = 123_456_789_012;

function empty(id: string, name: string): AccountRecord {
  return {
    id,
    name,
    usdBalance: 0,
    usdReserved: 0,
    diemBalance: 0,
    diemReserved: 0,
    diemEpochAllocation: 0,
    createdAt: AT,
  };
}

/** store.ts AccountRepository: every method, its edge cases and its races. */
export function accountsContract(withStore: WithStore): void {
  describe('accounts.ensure / find', () => {
    it('creates an empty account once; later calls return it unchanged', () =>
      withStore(async (store) => {
        assert.equal(await store.accounts.find('a1'), undefined);
        assert.deepStrictEqual(
          await store.accounts.ensure('a1', 'first', AT),
          empty('a1', 'first'),
        );
        await store.accounts.credit('a1', 'USD', 5);
        assert.deepStrictEqual(
          await store.accounts.ensure('a1', 'second', '2026-03-02T00:00:00.000Z'),
          { ...empty('a1', 'first'), usdBalance: 5 },
        );
        assert.deepStrictEqual(await store.accounts.find('a1'), {
          ...empty('a1', 'first'),
          usdBalance: 5,
        });
      }));

    it('gives 50 concurrent callers the one row', () =>
      withStore(async (store) => {
        const records = await Promise.all(
          Array.from({ length: 50 }, (_, index) =>
            store.accounts.ensure('a1', `name ${index}`, AT),
          ),
        );
        assert.equal(new Set(records.map((record) => record.name)).size, 1);
      }));

    it('lists every account, oldest first, ties by id', () =>
      withStore(async (store) => {
        assert.deepStrictEqual(await store.accounts.list(), []);
        await store.accounts.ensure('b', 'b', '2026-03-02T00:00:00.000Z');
        await store.accounts.ensure('c', 'c', AT);
        await store.accounts.ensure('a', 'a', AT);
        await store.accounts.credit('c', 'USD', BIG);
        assert.deepStrictEqual(await store.accounts.list(), [
          empty('a', 'a'),
          { ...empty('c', 'c'), usdBalance: BIG },
          { ...empty('b', 'b'), createdAt: '2026-03-02T00:00:00.000Z' },
        ]);
      }));
  });

  describe('accounts.credit', () => {
    it('adds to the balance of the currency and returns the new record', () =>
      withStore(async (store) => {
        await store.accounts.ensure('a1', 'a1', AT);
        assert.deepStrictEqual(await store.accounts.credit('a1', 'USD', BIG), {
          ...empty('a1', 'a1'),
          usdBalance: BIG,
        });
        assert.deepStrictEqual(await store.accounts.credit('a1', 'DIEM', 7), {
          ...empty('a1', 'a1'),
          usdBalance: BIG,
          diemBalance: 7,
        });
        assert.deepStrictEqual(await store.accounts.credit('a1', 'USD', -BIG), {
          ...empty('a1', 'a1'),
          diemBalance: 7,
        });
      }));

    it('rejects an unknown account, and a debit into what is reserved', () =>
      withStore(async (store) => {
        await assert.rejects(store.accounts.credit('missing', 'USD', 1));
        await store.accounts.ensure('a1', 'a1', AT);
        await store.accounts.credit('a1', 'USD', 10);
        const reserved = await store.ledger.reserve({
          reservationId: 'r1',
          accountId: 'a1',
          keyId: 'k1',
          period: 'LIFETIME',
          keyLimits: { USD: null, DIEM: null },
          amount: 4,
          requestId: 'q1',
          modelId: 'm',
          createdAt: AT,
          leaseUntil: '2026-03-01T12:10:00.000Z',
        });
        assert.deepEqual(reserved, { reserved: true, currency: 'USD' });
        await assert.rejects(store.accounts.credit('a1', 'USD', -7));
        assert.equal((await store.accounts.credit('a1', 'USD', -6)).usdBalance, 4);
      }));

    // Issue #15.6: past MAX_NANOS a JS number no longer counts nanos exactly (PostgreSQL then failed every read of
    // the account; SQLite turned the column into a float). A credit that would pass it changes nothing.
    it('refuses a credit that would take a balance past MAX_NANOS, before writing, and still takes debits', () =>
      withStore(async (store) => {
        await store.accounts.ensure('a1', 'a1', AT);
        await assert.rejects(
          store.accounts.credit('a1', 'USD', MAX_NANOS + 1),
          (error) => error instanceof CreditRefusedError && error.reason === 'over-maximum',
        );
        await assert.rejects(
          store.accounts.credit('a1', 'USD', 1e18),
          (error) => error instanceof CreditRefusedError && error.reason === 'over-maximum',
        );
        assert.equal(
          (await store.accounts.credit('a1', 'USD', MAX_NANOS - 1)).usdBalance,
          MAX_NANOS - 1,
        );
        assert.equal((await store.accounts.credit('a1', 'USD', 1)).usdBalance, MAX_NANOS);
        await assert.rejects(
          store.accounts.credit('a1', 'USD', 1),
          (error) => error instanceof CreditRefusedError && error.reason === 'over-maximum',
        );
        assert.deepStrictEqual(await store.accounts.find('a1'), {
          ...empty('a1', 'a1'),
          usdBalance: MAX_NANOS,
        });
        // The bound is per balance: the other currency is untouched by it.
        assert.equal((await store.accounts.credit('a1', 'DIEM', MAX_NANOS)).diemBalance, MAX_NANOS);
        assert.equal((await store.accounts.credit('a1', 'USD', -BIG)).usdBalance, MAX_NANOS - BIG);
        assert.equal((await store.accounts.credit('a1', 'USD', BIG)).usdBalance, MAX_NANOS);
      }));

    it('lets no two concurrent credits pass MAX_NANOS together', () =>
      withStore(async (store) => {
        await store.accounts.ensure('a1', 'a1', AT);
        const quarter = Math.floor(MAX_NANOS / 4);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.accounts.credit('a1', 'DIEM', quarter)),
        );
        assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 4);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected')
            assert.ok(
              outcome.reason instanceof CreditRefusedError &&
                outcome.reason.reason === 'over-maximum',
            );
        assert.equal((await store.accounts.find('a1'))?.diemBalance, 4 * quarter);
      }));

    it('says why a credit changed nothing: unknown account, a debit into what is reserved', () =>
      withStore(async (store) => {
        await assert.rejects(
          store.accounts.credit('missing', 'USD', 1),
          (error) => error instanceof CreditRefusedError && error.reason === 'unknown-account',
        );
        await store.accounts.ensure('a1', 'a1', AT);
        await assert.rejects(
          store.accounts.credit('a1', 'USD', -1),
          (error) => error instanceof CreditRefusedError && error.reason === 'below-reserved',
        );
        await assert.rejects(store.accounts.credit('a1', 'USD', 0.5), RangeError);
      }));

    it('loses none of 100 concurrent credits', () =>
      withStore(async (store) => {
        await store.accounts.ensure('a1', 'a1', AT);
        await Promise.all(
          Array.from({ length: 100 }, () => store.accounts.credit('a1', 'DIEM', BIG)),
        );
        assert.equal((await store.accounts.find('a1'))?.diemBalance, 100 * BIG);
      }));
  });
}
