import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/**
 * The configured store, migrated: PostgreSQL when `database.url` (DATABASE_URL) is set, else SQLite at
 * `<dataDirectory>/rialto.db`. A `?schema=NAME` parameter on the URL picks (and creates) the PostgreSQL schema.
 * Throws on a URL it cannot use, naming the scheme but never the URL (it may hold a password).
 */
export async function openStore(config: Config): Promise<Store> {
  const { url } = config.database;
  const { ledgerCommits } = config.billing;
  if (url === undefined)
    return openSqliteStore(join(config.dataDirectory, 'rialto.db'), ledgerCommits);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      'DATABASE_URL is not a URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(
      `DATABASE_URL scheme ${parsed.protocol}// is not supported: use postgres:// or postgresql://, or unset it for SQLite`,
    );
  }
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  return openPostgresStore(parsed.toString(), {
    ledgerCommits,
    ...(schema === null ? {} : { schema }),
  });
}
