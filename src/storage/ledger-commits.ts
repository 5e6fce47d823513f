import { type FileHandle, open } from 'node:fs/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { Database } from './database.ts';
import type { LedgerTransaction } from './kysely-ledger.ts';

/**
 * How the ledger's own commits (reservations, settlements, releases, budget leases) reach the disk
 * (config billing.ledgerCommits, docs/reliability.md):
 * - `durable`: each commit waits for the disk's flush (fsync) before it answers, as every other write does;
 * - `deferred`: a commit answers once written, visible at once to every reader and safe from a process crash, and
 *   reaches the disk within a fraction of a second (SQLITE_WAL_SYNC_MS here; PostgreSQL's WAL writer, within three
 *   `wal_writer_delay`, 600 ms by default). An OS crash or power loss in that window (or, on PostgreSQL, a crash of
 *   the database server) can lose its last commits,
 *   and only whole transactions, the latest first: charges not made (the client's favour, as a budget lease's
 *   flush window) and holds that are gone with the requests they held for. Credits (top-ups, wallet payments,
 *   grants) and keys are not ledger commits: they stay durable, and each one's flush carries the ledger's before it.
 */
export type LedgerCommits = 'deferred' | 'durable';

/** How long a deferred ledger commit on SQLite stays off the disk at most before Rialto flushes the WAL file. */
export const SQLITE_WAL_SYNC_MS = 200;

/** PostgreSQL's deferred commits: the transaction's own `synchronous_commit = off` (SET LOCAL ends with it). */
export function postgresDeferredLedger(database: Kysely<Database>): LedgerTransaction {
  return (work) =>
    database.transaction().execute(async (transaction) => {
      await sql`set local synchronous_commit = off`.execute(transaction);
      return work(transaction);
    });
}

/**
 * SQLite's deferred commits. The ledger's transactions run under `synchronous = NORMAL` (the WAL is written at
 * COMMIT, not flushed) on the store's one connection, held for the transaction (Kysely's `connection()`: nothing else
 * runs between the pragmas and the transaction), and every other write under the connection's own setting (FULL,
 * which the store sets: its flush also carries the ledger commits written before it). The WAL file is then flushed on
 * libuv's threadpool, off the event loop, SQLITE_WAL_SYNC_MS after the first commit it has not carried yet:
 * SQLite's recovery replays every whole transaction the file holds, so a flushed commit survives a power loss.
 */
export class SqliteDeferredLedger {
  private readonly relaxed = 'PRAGMA synchronous = NORMAL';
  private readonly restored: string;
  private timer: NodeJS.Timeout | undefined;
  private walFile: Promise<FileHandle | undefined> | undefined;
  private syncing: Promise<void> = Promise.resolve();
  /** A deferred commit was written since the last flush began. */
  private unflushed = false;
  private closed = false;
  /** How many flushes of the WAL file have completed (for tests). */
  flushes = 0;

  constructor(
    private readonly database: Kysely<Database>,
    private readonly connection: BetterSqlite3.Database,
    private readonly walPath: string,
  ) {
    this.restored = `PRAGMA synchronous = ${Number(connection.pragma('synchronous', { simple: true }))}`;
  }

  // exec, not a prepared statement: SQLite applies this pragma when it compiles it, not when it runs.
  readonly transaction: LedgerTransaction = (work) =>
    this.database.connection().execute(async (connection) => {
      this.connection.exec(this.relaxed);
      try {
        return await connection.transaction().execute(work);
      } finally {
        this.connection.exec(this.restored);
        this.flushSoon();
      }
    });

  /** Flushes what is written now, then stops; before the connection closes (its close checkpoints the WAL). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.syncing = this.syncing.then(() => this.flush());
    await this.syncing;
    await (await this.walFile)?.close();
  }

  private flushSoon(): void {
    this.unflushed = true;
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncing = this.syncing.then(() => this.flush());
    }, SQLITE_WAL_SYNC_MS);
    // A process that exits has its writes in the OS already; the close flushes them on a graceful stop.
    this.timer.unref();
  }

  /** fsync of the WAL file; an error (a failing disk) leaves it to the next flush and SQLite's own next FULL commit. */
  private async flush(): Promise<void> {
    if (!this.unflushed) return;
    this.unflushed = false;
    // The file exists while the connection is open in WAL mode, once anything is written; opened once.
    this.walFile ??= open(this.walPath, 'r').catch(() => undefined);
    const file = await this.walFile;
    if (file === undefined) {
      this.walFile = undefined;
      return;
    }
    await file.sync().then(
      () => {
        this.flushes += 1;
      },
      () => undefined,
    );
  }
}
