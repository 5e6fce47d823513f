import {
  Migrator,
  type Kysely,
  type MigrationProvider,
  type Selectable,
  type Updateable,
} from 'kysely';
import type { ApiKeyTable, Database } from './database.ts';
import type {
  AccountRepository,
  ApiKeyRecord,
  ApiKeyRepository,
  JobRepository,
  LedgerRepository,
  Store,
  UsageRepository,
} from './store.ts';
import type { CharacterRepository } from './store.ts';
import { kyselyCharacters } from './kysely-characters.ts';
import { kyselyJobs } from './kysely-jobs.ts';
import { kyselyAccounts } from './kysely-accounts.ts';
import { kyselyLedger, type LedgerTransaction } from './kysely-ledger.ts';
import { kyselyUsage } from './kysely-usage.ts';
import { kyselyWallets } from './kysely-wallets.ts';
import { kyselyVoices } from './voice-store.ts';
import type { WalletRepository } from './wallet-store.ts';
import type { VoiceRepository } from './voice-store.ts';
import { migrations } from './migrations/index.ts';

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(database: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db: database, provider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function toRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    last6: row.last6,
    apiKeyType: row.api_key_type,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    accountId: row.account_id,
    consumptionLimits: { usd: row.limit_usd, diem: row.limit_diem, vcu: row.limit_vcu },
    limitPeriod: row.limit_period,
    modelPrivacy: row.model_privacy,
  };
}

/** The queries, written once for every dialect. */
export class KyselyStore implements Store {
  readonly apiKeys: ApiKeyRepository;
  readonly accounts: AccountRepository;
  readonly ledger: LedgerRepository;
  readonly usage: UsageRepository;
  readonly jobs: JobRepository;
  readonly characters: CharacterRepository;
  readonly wallets: WalletRepository;
  readonly voices: VoiceRepository;

  /**
   * `dialect` picks the few queries that differ (row locks exist on PostgreSQL only); `ledgerTransaction`, how the
   * ledger's transactions commit (ledger-commits.ts); `beforeClose` runs before the database closes.
   */
  constructor(
    private readonly database: Kysely<Database>,
    dialect: 'sqlite' | 'postgres' = 'sqlite',
    private readonly options: {
      ledgerTransaction?: LedgerTransaction;
      beforeClose?: () => Promise<void>;
    } = {},
  ) {
    this.accounts = kyselyAccounts(database);
    this.jobs = kyselyJobs(database, { skipLocked: dialect === 'postgres' });
    this.ledger = kyselyLedger(database, {
      lockRows: dialect === 'postgres',
      ...(options.ledgerTransaction === undefined
        ? {}
        : { transaction: options.ledgerTransaction }),
    });
    this.usage = kyselyUsage(database);
    this.characters = kyselyCharacters(database);
    this.wallets = kyselyWallets(database);
    this.voices = kyselyVoices(database);
    this.apiKeys = {
      insert: async (record) => {
        await database
          .insertInto('api_keys')
          .values({
            id: record.id,
            secret_hash: record.secretHash,
            last6: record.last6,
            api_key_type: record.apiKeyType,
            description: record.description,
            created_at: record.createdAt ?? new Date().toISOString(),
            expires_at: record.expiresAt,
            revoked_at: null,
            last_used_at: null,
            account_id: record.accountId ?? 'default',
            limit_usd: record.consumptionLimits?.usd ?? null,
            limit_diem: record.consumptionLimits?.diem ?? null,
            limit_vcu: record.consumptionLimits?.vcu ?? null,
            limit_period: record.limitPeriod ?? 'EPOCH',
            model_privacy: record.modelPrivacy ?? 'ALL',
          })
          .execute();
      },
      findById: async (id) => {
        const row = await database
          .selectFrom('api_keys')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        return row === undefined ? undefined : toRecord(row);
      },
      listActive: async (accountId) => {
        let query = database.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null);
        if (accountId !== undefined) query = query.where('account_id', '=', accountId);
        return (await query.orderBy('created_at').orderBy('id').execute()).map(toRecord);
      },
      update: async (id, patch) => {
        const changes: Updateable<ApiKeyTable> = {};
        if (patch.description !== undefined) changes.description = patch.description;
        if (patch.expiresAt !== undefined) changes.expires_at = patch.expiresAt;
        if (patch.consumptionLimits !== undefined)
          Object.assign(changes, {
            limit_usd: patch.consumptionLimits.usd,
            limit_diem: patch.consumptionLimits.diem,
            limit_vcu: patch.consumptionLimits.vcu,
          });
        if (patch.limitPeriod !== undefined) changes.limit_period = patch.limitPeriod;
        if (patch.modelPrivacy !== undefined) changes.model_privacy = patch.modelPrivacy;
        if (Object.keys(changes).length > 0)
          await database
            .updateTable('api_keys')
            .set(changes)
            .where('id', '=', id)
            .where('revoked_at', 'is', null)
            .execute();
        const row = await database
          .selectFrom('api_keys')
          .selectAll()
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return row === undefined ? undefined : toRecord(row);
      },
      revoke: async (id, at) => {
        const result = await database
          .updateTable('api_keys')
          .set({ revoked_at: at })
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      },
      touch: async (id, at) => {
        const minuteAgo = new Date(Date.parse(at) - 60_000).toISOString();
        await database
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', id)
          .where((where) =>
            where.or([where('last_used_at', 'is', null), where('last_used_at', '<', minuteAgo)]),
          )
          .execute();
      },
    };
  }

  async close(): Promise<void> {
    await this.options.beforeClose?.();
    await this.database.destroy();
  }
}
