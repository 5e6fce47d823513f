import {
  PostgresDialect, PostgresIntrospector, sql,
  type DatabaseIntrospector, type DatabaseMetadataOptions, type Kysely, type TableMetadata,
} from 'kysely';

/**
 * PostgresDialect whose introspection sees only tables of current_schema() (the first existing schema of the
 * search_path). Kysely's Migrator, when given no migrationTableSchema, asks whether `kysely_migration` exists in ANY
 * schema; with a second Rialto (or a test) in another schema of the same database it would skip creating its own
 * and then fail. Scoping the answer to our schema makes each schema migrate on its own.
 */
export class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(database: Kysely<unknown>): DatabaseIntrospector {
    const inner = new PostgresIntrospector(database);
    const inCurrentSchema = async (tables: TableMetadata[]): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(database);
      const schema = rows[0]?.schema;
      return tables.filter((table) => table.schema === schema);
    };
    return {
      getSchemas: () => inner.getSchemas(),
      getTables: async (options?: DatabaseMetadataOptions) => inCurrentSchema(await inner.getTables(options)),
      getMetadata: async (options?: DatabaseMetadataOptions) => ({ tables: await inCurrentSchema(await inner.getTables(options)) }),
    };
  }
}
