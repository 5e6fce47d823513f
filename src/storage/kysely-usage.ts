import type { Kysely, Selectable } from 'kysely';
import type { Database, UsageRecordTable } from './database.ts';
import type { UsageRecord, UsageRepository } from './store.ts';

function toUsage(row: Selectable<UsageRecordTable>): UsageRecord {
  return {
    id: row.id,
    requestId: row.request_id,
    accountId: row.account_id,
    keyId: row.key_id,
    modelId: row.model_id,
    modelType: row.model_type,
    currency: row.currency,
    amount: Number(row.amount),
    promptTokens: Number(row.prompt_tokens),
    completionTokens: Number(row.completion_tokens),
    cachedTokens: Number(row.cached_tokens),
    status: row.status,
    executionMs: Number(row.execution_ms),
    createdAt: row.created_at,
  };
}

export function kyselyUsage(database: Kysely<Database>): UsageRepository {
  return {
    insert: async (record) => {
      await database
        .insertInto('usage_records')
        .values({
          id: record.id,
          request_id: record.requestId,
          account_id: record.accountId,
          key_id: record.keyId,
          model_id: record.modelId,
          model_type: record.modelType,
          currency: record.currency,
          amount: record.amount,
          prompt_tokens: record.promptTokens,
          completion_tokens: record.completionTokens,
          cached_tokens: record.cachedTokens,
          status: record.status,
          execution_ms: record.executionMs,
          created_at: record.createdAt,
        })
        .execute();
    },
    list: async ({ accountId, currency, from, to, after, limit }) => {
      let query = database
        .selectFrom('usage_records')
        .selectAll()
        .where('account_id', '=', accountId);
      if (currency !== undefined) query = query.where('currency', '=', currency);
      if (from !== undefined) query = query.where('created_at', '>=', from);
      if (to !== undefined) query = query.where('created_at', '<', to);
      if (after !== undefined) {
        query = query.where((where) =>
          where.or([
            where('created_at', '>', after.createdAt),
            where.and([where('created_at', '=', after.createdAt), where('id', '>', after.id)]),
          ]),
        );
      }
      return (await query.orderBy('created_at').orderBy('id').limit(limit).execute()).map(toUsage);
    },
    keyTotals: async (keyId, from) => {
      const rows = await database
        .selectFrom('usage_records')
        .select([
          'currency',
          (expression) => expression.fn.sum<number | string>('amount').as('total'),
        ])
        .where('key_id', '=', keyId)
        .where('created_at', '>=', from)
        .groupBy('currency')
        .execute();
      const totals = { USD: 0, DIEM: 0 };
      for (const row of rows) totals[row.currency] = Number(row.total);
      return totals;
    },
  };
}
