import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { defineLedgerContract } from './ledger-contract.ts';

defineLedgerContract('SQLite file', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-ledger-'));
  const store = await openSqliteStore(join(directory, 'rialto.db'));
  return { store, cleanup: async () => { await store.close(); rmSync(directory, { recursive: true, force: true }); } };
});
