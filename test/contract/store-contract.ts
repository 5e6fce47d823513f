import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/storage/store.ts';
import { accountsContract } from './accounts-contract.ts';
import { apiKeysContract } from './api-keys-contract.ts';
import { charactersContract } from './characters-contract.ts';
import { jobsContract } from './jobs-contract.ts';
import { defineLedgerBatchContract } from './ledger-batch-contract.ts';
import { defineLedgerContract } from './ledger-contract.ts';
import { defineLedgerLeaseContract } from './ledger-lease-contract.ts';
import { usageContract } from './usage-contract.ts';

/** A fresh, empty, migrated store; `cleanup` closes it (it may already be closed) and deletes its data. */
export type OpenTestStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** Runs `body` against a fresh store, cleaning up whatever happens. */
export type WithStore = (body: (store: Store) => Promise<void>) => Promise<void>;

/**
 * The store contract: what every implementation of `Store` (src/storage/store.ts) promises, run unchanged once per
 * dialect (store.contract.test.ts). Each repository of `Store` has one `<repository>-contract.ts` beside this file
 * testing every method of it; a new repository adds that file and one line below.
 */
export function defineStoreContract(name: string, open: OpenTestStore): void {
  const withStore: WithStore = async (body) => {
    const { store, cleanup } = await open();
    try {
      await body(store);
    } finally {
      await cleanup();
    }
  };
  describe(`Store contract: ${name}`, () => {
    storeContract(withStore);
    apiKeysContract(withStore);
    accountsContract(withStore);
    usageContract(withStore);
    jobsContract(withStore);
    charactersContract(withStore);
    defineLedgerContract(name, open);
    defineLedgerBatchContract(name, open);
    defineLedgerLeaseContract(name, open);
  });
}

function storeContract(withStore: WithStore): void {
  describe('close', () => {
    it('makes later calls reject', () =>
      withStore(async (store) => {
        await store.close();
        await assert.rejects(store.apiKeys.findById('any'));
      }));
  });
}
