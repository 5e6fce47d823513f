import type { Kysely } from 'kysely';

// Wallet-paid jobs (issue #20 item 4): which ledger holds a job's quote. 'account' (every job before this
// migration: an API key's account, store.ledger) or 'wallet' (a SIGN-IN-WITH-X wallet's x402 ledger,
// store.wallets; the job's account_id is then the wallet id). Any worker, in any process, settles or
// releases the reservation on the ledger this names.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .alterTable('jobs')
    .addColumn('ledger', 'text', (column) => column.notNull().defaultTo('account'))
    .execute();
}
