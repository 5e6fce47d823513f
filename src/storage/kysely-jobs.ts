import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, JobTable } from './database.ts';
import type { JobPatch, JobRecord, JobRepository, JobState } from './store.ts';

function toJob(row: Selectable<JobTable>): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    modelId: row.model_id,
    accountId: row.account_id,
    keyId: row.key_id,
    request: JSON.parse(row.request) as Record<string, unknown>,
    state: row.state,
    progress: row.progress === null ? null : Number(row.progress),
    engineJobId: row.engine_job_id,
    resultKey: row.result_key,
    resultContentType: row.result_content_type,
    resultBytes: row.result_bytes === null ? null : Number(row.result_bytes),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    refunded: Number(row.refunded) === 1,
    attempts: Number(row.attempts),
    reservationId: row.reservation_id,
    quote: Number(row.quote),
    deleteOnDelivery: Number(row.delete_on_delivery) === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    updatedAt: row.updated_at,
    deadlineAt: row.deadline_at,
    nextRunAt: row.next_run_at,
    claimedBy: row.claimed_by,
    claimUntil: row.claim_until,
    downloadTokenHash: row.download_token_hash,
    downloadRevokedAt: row.download_revoked_at,
    ledger: row.ledger === 'wallet' ? 'wallet' : 'account',
  };
}

const COLUMNS: Record<keyof JobPatch, keyof JobTable> = {
  request: 'request',
  state: 'state',
  progress: 'progress',
  engineJobId: 'engine_job_id',
  resultKey: 'result_key',
  resultContentType: 'result_content_type',
  resultBytes: 'result_bytes',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  refunded: 'refunded',
  attempts: 'attempts',
  deleteOnDelivery: 'delete_on_delivery',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  nextRunAt: 'next_run_at',
  claimedBy: 'claimed_by',
  claimUntil: 'claim_until',
  downloadRevokedAt: 'download_revoked_at',
};

function toColumns(patch: JobPatch): Updateable<JobTable> {
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    changes[COLUMNS[field as keyof JobPatch]] =
      typeof value === 'boolean'
        ? value
          ? 1
          : 0
        : field === 'request'
          ? JSON.stringify(value)
          : value;
  }
  return changes as Updateable<JobTable>;
}

const RUNNABLE: JobState[] = ['QUEUED', 'PROCESSING'];

/**
 * Jobs, written once for both dialects. A claim is one UPDATE whose WHERE re-checks that the job is still
 * free, so two workers racing for a job cannot both win; on PostgreSQL the candidate is picked with
 * FOR UPDATE SKIP LOCKED so concurrent claimers take different jobs instead of queueing on one row.
 */
export function kyselyJobs(
  database: Kysely<Database>,
  options: { skipLocked: boolean },
): JobRepository {
  return {
    insert: async (record) => {
      await database
        .insertInto('jobs')
        .values({
          id: record.id,
          kind: record.kind,
          model_id: record.modelId,
          account_id: record.accountId,
          key_id: record.keyId,
          request: JSON.stringify(record.request),
          state: record.state,
          progress: record.progress,
          engine_job_id: record.engineJobId,
          result_key: record.resultKey,
          result_content_type: record.resultContentType,
          result_bytes: record.resultBytes,
          error_code: record.errorCode,
          error_message: record.errorMessage,
          refunded: record.refunded ? 1 : 0,
          attempts: record.attempts,
          reservation_id: record.reservationId,
          quote: record.quote,
          delete_on_delivery: record.deleteOnDelivery ? 1 : 0,
          ledger: record.ledger ?? 'account',
          created_at: record.createdAt,
          started_at: record.startedAt,
          completed_at: record.completedAt,
          updated_at: record.createdAt,
          deadline_at: record.deadlineAt,
          next_run_at: record.nextRunAt,
          claimed_by: record.claimedBy,
          claim_until: record.claimUntil,
          download_token_hash: record.downloadTokenHash,
          download_revoked_at: record.downloadRevokedAt,
        })
        .execute();
    },
    find: async (id) => {
      const row = await database
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toJob(row);
    },
    findByDownloadToken: async (tokenHash) => {
      const row = await database
        .selectFrom('jobs')
        .selectAll()
        .where('download_token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toJob(row);
    },
    update: async (id, patch, condition = {}) => {
      let query = database
        .updateTable('jobs')
        .set({ ...toColumns(patch), updated_at: new Date().toISOString() })
        .where('id', '=', id);
      if (condition.states !== undefined) query = query.where('state', 'in', condition.states);
      if (condition.claimedBy !== undefined)
        query = query.where('claimed_by', '=', condition.claimedBy);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    claim: async (worker, now, claimUntil, id) => {
      let candidate = database
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', RUNNABLE)
        .where('next_run_at', '<=', now)
        .where((where) =>
          where.or([where('claim_until', 'is', null), where('claim_until', '<', now)]),
        );
      if (id !== undefined) candidate = candidate.where('id', '=', id);
      candidate = candidate.orderBy('next_run_at').orderBy('id').limit(1);
      if (options.skipLocked) candidate = candidate.forUpdate().skipLocked();
      const row = await database
        .updateTable('jobs')
        .set((expression) => ({
          claimed_by: worker,
          claim_until: claimUntil,
          updated_at: now,
          attempts: expression('attempts', '+', 1),
        }))
        .where('id', '=', (subquery) =>
          subquery.selectFrom(candidate.as('candidate')).select('candidate.id'),
        )
        .where('state', 'in', RUNNABLE)
        .where((where) =>
          where.or([where('claim_until', 'is', null), where('claim_until', '<', now)]),
        )
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? undefined : toJob(row);
    },
    runnable: async (limit) => {
      const rows = await database
        .selectFrom('jobs')
        .selectAll()
        .where('state', 'in', RUNNABLE)
        .orderBy('next_run_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toJob);
    },
    countByState: async () => {
      const rows = await database
        .selectFrom('jobs')
        .select(['state', (expression) => expression.fn.countAll<number>().as('count')])
        .groupBy('state')
        .execute();
      return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
    },
    recent: async ({ limit, state }) => {
      let query = database.selectFrom('jobs').selectAll();
      if (state !== undefined) query = query.where('state', '=', state);
      return (
        await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      ).map(toJob);
    },
  };
}
