import type { Store } from '../../storage/store.ts';

/**
 * `store` whose reads of usage records and key spend first write what budget leases hold in memory (Meter.sync):
 * a client reading its usage right after a request finds it, as without leases.
 */
export function syncedUsageReads(store: Store, sync: () => Promise<void>): Store {
  const { usage, ledger } = store;
  const synced = Object.create(store) as Store;
  // Own properties over the store's (defineProperty: the store's may be read-only); the rest is the store's.
  Object.defineProperties(synced, {
    usage: {
      value: {
        insert: usage.insert.bind(usage),
        list: async (query: Parameters<Store['usage']['list']>[0]) => {
          await sync();
          return usage.list(query);
        },
        keyTotals: async (keyId: string, from: string) => {
          await sync();
          return usage.keyTotals(keyId, from);
        },
      },
    },
    ledger: {
      value: {
        ...ledger,
        keySpend: async (keyId: string, period: string) => {
          await sync();
          return ledger.keySpend(keyId, period);
        },
      },
    },
  });
  return synced;
}
