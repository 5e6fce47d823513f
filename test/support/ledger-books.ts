// "The books" of the fault tests (as bench/accounts-overhead.ts checks them): the usage records of an account add
// up to the decrease of its balance, and nothing is left reserved.
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import type { Store, UsageRecord } from '../../src/storage/store.ts';

/** Every usage record of the account, oldest first. */
export async function usageRecords(store: Store, accountId = 'default'): Promise<UsageRecord[]> {
  const records: UsageRecord[] = [];
  for (;;) {
    const last = records.at(-1);
    const page = await store.usage.list({
      accountId,
      limit: 1000,
      ...(last === undefined ? {} : { after: { createdAt: last.createdAt, id: last.id } }),
    });
    records.push(...page);
    if (page.length < 1000) return records;
  }
}

/**
 * Waits (a bounded number of polls) until nothing is reserved, then asserts the books: the records sum to what the
 * balance went down by from `fundedUsd` (USD and DIEM alike). Returns the records.
 */
export async function assertBooksBalance(
  store: Store,
  fundedUsd: number,
  accountId = 'default',
): Promise<UsageRecord[]> {
  let account = await store.accounts.find(accountId);
  for (
    let poll = 0;
    poll < 400 &&
    account !== undefined &&
    (account.usdReserved !== 0 || account.diemReserved !== 0);
    poll++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    account = await store.accounts.find(accountId);
  }
  assert.ok(account !== undefined, `no account ${accountId}`);
  assert.equal(account.usdReserved, 0, 'no USD left reserved');
  assert.equal(account.diemReserved, 0, 'no DIEM left reserved');
  const records = await usageRecords(store, accountId);
  const charged = (currency: 'USD' | 'DIEM'): number =>
    records
      .filter((record) => record.currency === currency)
      .reduce((sum, record) => sum + record.amount, 0);
  assert.equal(
    charged('USD'),
    toNanos(fundedUsd) - account.usdBalance,
    'the USD usage records add up to the balance decrease',
  );
  assert.equal(
    charged('DIEM'),
    account.diemBalance === 0 ? 0 : -account.diemBalance,
    'the DIEM usage records add up to the balance decrease',
  );
  return records;
}
