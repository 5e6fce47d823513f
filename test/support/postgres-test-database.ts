import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pgBossSchemaOf } from '../../src/services/jobs/pg-boss-job-queue.ts';
import { servicesRequired } from './services-required.ts';

/** The PostgreSQL the tests use; a throwaway schema per store keeps runs (and parallel files) apart. */
export const TEST_DATABASE_URL =
  process.env.RIALTO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** e.g. rialto_test_4242_9f3a1c07: unique per call, a valid unquoted identifier. */
export function uniqueSchemaName(): string {
  return `rialto_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

async function withClient<T>(action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 30_000,
  });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

/** Drops the schema and everything in it, and pg-boss's schema beside it (the jobs queue); a no-op when they do not exist. */
export async function dropSchema(schema: string): Promise<void> {
  await withClient((client) =>
    client.query(`drop schema if exists "${schema}", "${pgBossSchemaOf(schema)}" cascade`),
  );
}

/**
 * A skip reason when nothing listens at the default local address, else false. Any other failure (slow server,
 * refused login), any failure with RIALTO_TEST_DATABASE_URL set, and any failure under CI (servicesRequired) is
 * left for the tests to report, not skipped.
 */
export async function postgresUnavailable(): Promise<string | false> {
  if (servicesRequired || process.env.RIALTO_TEST_DATABASE_URL !== undefined) return false;
  try {
    await withClient((client) => client.query('select 1'));
    return false;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ECONNREFUSED')) return false;
    return `nothing listens at ${TEST_DATABASE_URL}; start PostgreSQL or set RIALTO_TEST_DATABASE_URL to run these tests`;
  }
}
