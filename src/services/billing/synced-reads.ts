import type { LedgerRepository, Store, UsageRepository } from '../../storage/store.ts';

/**
 * `store` whose reads of usage records and key spend first write what budget leases hold in memory (Meter.sync):
 * a client reading its usage right after a request finds it, as without leases. Everything else is the store's.
 */
export function syncedUsageReads(store: Store, sync: () => Promise<void>): Store {
  const usageReads: Pick<UsageRepository, 'list' | 'keyTotals'> = {
    list: async (query) => {
      await sync();
      return store.usage.list(query);
    },
    keyTotals: async (keyId, from) => {
      await sync();
      return store.usage.keyTotals(keyId, from);
    },
  };
  const ledgerReads: Pick<LedgerRepository, 'keySpend'> = {
    keySpend: async (keyId, period) => {
      await sync();
      return store.ledger.keySpend(keyId, period);
    },
  };
  // The store's repositories under these reads (prototypes: any other method is theirs), and the store under them.
  const usage = Object.assign(Object.create(store.usage) as UsageRepository, usageReads);
  const ledger = Object.assign(Object.create(store.ledger) as LedgerRepository, ledgerReads);
  const synced = Object.create(store) as Store;
  // defineProperty: the store's own may be read-only.
  Object.defineProperties(synced, { usage: { value: usage }, ledger: { value: ledger } });
  return synced;
}
