import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/** The table of cloned voices (migrations/007-cloned-voices.ts). Ids and names only: the sample lives upstream. */
export interface VoiceTables {
  cloned_voices: ClonedVoiceTable;
}

export interface ClonedVoiceTable {
  /** The handle clients send as `voice`: vv_<random>. */
  id: string;
  account_id: string;
  /** The Rialto model id the handle is tied to. */
  model_id: string;
  /** The voice's name in the engine's library (never shown to clients). */
  upstream_voice: string;
  created_at: string;
  expires_at: string;
}

/** A voice made by POST /audio/voices. */
export interface ClonedVoiceRecord {
  id: string;
  accountId: string;
  modelId: string;
  upstreamVoice: string;
  createdAt: string;
  expiresAt: string;
}

export interface VoiceRepository {
  insert(record: ClonedVoiceRecord): Promise<void>;
  find(id: string): Promise<ClonedVoiceRecord | undefined>;
  /** True when the row was there. */
  delete(id: string): Promise<boolean>;
  /** Voices whose expiresAt is at or before `now`, oldest first, at most `limit`. */
  expired(now: string, limit: number): Promise<ClonedVoiceRecord[]>;
}

function toRecord(row: ClonedVoiceTable): ClonedVoiceRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    modelId: row.model_id,
    upstreamVoice: row.upstream_voice,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function kyselyVoices(database: Kysely<Database>): VoiceRepository {
  return {
    async insert(record) {
      await database
        .insertInto('cloned_voices')
        .values({
          id: record.id,
          account_id: record.accountId,
          model_id: record.modelId,
          upstream_voice: record.upstreamVoice,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
        })
        .execute();
    },
    async find(id) {
      const row = await database
        .selectFrom('cloned_voices')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async delete(id) {
      const result = await database
        .deleteFrom('cloned_voices')
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async expired(now, limit) {
      const rows = await database
        .selectFrom('cloned_voices')
        .selectAll()
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },
  };
}
