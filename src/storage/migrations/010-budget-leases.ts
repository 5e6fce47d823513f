import type { Kysely } from 'kysely';

// Budget leases (issue #17 item 5): a reservation is either one request's worst case ('request', every reservation
// before this migration) or a slice of an account's free balance and of a key's period limit that one instance
// spends from in memory ('lease', LedgerRepository.acquireLease). A lease is charged in batches (chargeLease) and,
// when closed or expired, frees what is left without a usage record of its own.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .alterTable('reservations')
    .addColumn('kind', 'text', (column) => column.notNull().defaultTo('request'))
    .execute();
}
