import { it } from 'node:test';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { defineWalletLedgerContract } from './wallet-ledger-contract.ts';

defineWalletLedgerContract('SQLite :memory:', async () => {
  const store = await openSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

const skip = await postgresUnavailable();
if (skip === false) {
  defineWalletLedgerContract('PostgreSQL', async () => {
    const schema = uniqueSchemaName();
    const store = await openPostgresStore(TEST_DATABASE_URL, { schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
} else {
  it('Wallet ledger contract: PostgreSQL', { skip }, () => {});
}
