import {
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  type Kysely,
  type TableMetadata,
} from 'kysely';

/**
 * The tables of current_schema() (the first existing schema of the search_path), by name. Kysely's own introspector
 * reads every schema of the database, calling has_schema_privilege and pg_get_serial_sequence on each: a schema
 * another process drops meanwhile (another Rialto's, or a test's) fails that query with "schema … does not exist".
 */
async function tablesOfCurrentSchema(
  database: Kysely<unknown>,
  options?: DatabaseMetadataOptions,
): Promise<TableMetadata[]> {
  const { rows } = await sql<{ name: string; schema: string; kind: string }>`
    select c.relname as name, n.nspname as schema, c.relkind as kind
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
    order by c.relname`.execute(database);
  return rows
    .filter(
      (row) =>
        options?.withInternalKyselyTables === true || !row.name.startsWith('kysely_migration'),
    )
    .map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
}

/**
 * PostgresDialect whose introspection sees only the tables of current_schema(), by name (no columns: the Migrator
 * is its only user, and it asks whether its own tables exist). Kysely's Migrator, when given no
 * migrationTableSchema, asks whether `kysely_migration` exists in ANY schema; with a second Rialto (or a test) in
 * another schema of the same database it would skip creating its own and then fail. Scoping the answer to our
 * schema makes each schema migrate on its own.
 */
export class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(database: Kysely<unknown>): DatabaseIntrospector {
    return {
      getSchemas: async () => [
        {
          name: String(
            (await sql<{ schema: string }>`select current_schema() as schema`.execute(database))
              .rows[0]?.schema,
          ),
        },
      ],
      getTables: (options?: DatabaseMetadataOptions) => tablesOfCurrentSchema(database, options),
      getMetadata: async (options?: DatabaseMetadataOptions) => ({
        tables: await tablesOfCurrentSchema(database, options),
      }),
    };
  }
}
