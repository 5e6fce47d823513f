import {
  CompiledQuery,
  type Compilable,
  type DialectAdapter,
  type Kysely,
  type QueryResult,
} from 'kysely';
import type { Database } from './database.ts';

/**
 * A placeholder for the value at `index` of a statement's values. It is typed `never` so that it fits any column
 * of a query builder: the builder only carries it into the compiled parameters, where it is found again.
 */
export type Slot = (index: number) => never;

/** A compiled parameter: the value at a slot, or a constant the builder wrote into the query itself. */
type Part = { slot: number } | { constant: unknown };

interface Template {
  sql: string;
  parts: Part[];
}

/**
 * Runs compiled SQL on a dialect's one connection itself, without Kysely's executor (its connection mutex, query
 * ids, plugin passes and promise hops): registered by the SQLite store, whose driver runs each query synchronously
 * on a single connection. A failure throws, as the driver's query would reject.
 */
export type DirectRunner = (sql: string, parameters: readonly unknown[]) => QueryResult<unknown>;

const directRunners = new WeakMap<DialectAdapter, DirectRunner>();

/**
 * Lets `compiledOnce` statements run inside `database`'s transactions through `runner`: a transaction holds the
 * connection until it ends, so nothing else can run between its statements, whichever way they are run.
 */
export function runDirectlyInTransactions(database: Kysely<Database>, runner: DirectRunner): void {
  directRunners.set(database.getExecutor().adapter, runner);
}

/** No constant a statement writes into its query starts with a NUL, so a parameter that does is a slot. */
const SENTINEL = '\u0000compiled-once:';
// The sentinel is a string standing in for any type: the builder never reads it, only passes it through.
const slot: Slot = (index) => `${SENTINEL}${index}` as never;

function templateOf(compiled: CompiledQuery): Template {
  const parts = compiled.parameters.map(
    (parameter): Part =>
      typeof parameter === 'string' && parameter.startsWith(SENTINEL)
        ? { slot: Number(parameter.slice(SENTINEL.length)) }
        : { constant: parameter },
  );
  return { sql: compiled.sql, parts };
}

/**
 * A statement Kysely builds and compiles once per database and shape, then runs with new values: Kysely's builders
 * and compiler cost more than the small ledger statements themselves. `build` writes the query with `slot(i)` in
 * place of `values[i]`; `shape` names what changes the SQL (a row count, a FOR UPDATE), at most `maxShapes` kept
 * per database. Values bind exactly as the builder would have bound them (a BigInt stays a BigInt). Inside a
 * transaction of a store that registered a `DirectRunner` (SQLite), the statement runs through it.
 */
export function compiledOnce<Shape extends string | number, Row>(
  build: (database: Kysely<Database>, slot: Slot, shape: Shape) => Compilable<Row>,
  maxShapes = 64,
): (
  database: Kysely<Database>,
  shape: Shape,
  values: readonly unknown[],
) => Promise<QueryResult<Row>> {
  // Keyed by the dialect adapter, which a Kysely instance and its transactions share: one set of templates a store.
  const templates = new WeakMap<DialectAdapter, Map<Shape, Template>>();
  return (database, shape, values) => {
    const { adapter } = database.getExecutor();
    let shapes = templates.get(adapter);
    if (shapes === undefined) templates.set(adapter, (shapes = new Map()));
    let template = shapes.get(shape);
    if (template === undefined) {
      template = templateOf(build(database, slot, shape).compile());
      if (shapes.size >= maxShapes) shapes.delete(shapes.keys().next().value!);
      shapes.set(shape, template);
    }
    const parameters = template.parts.map((part) =>
      'slot' in part ? values[part.slot] : part.constant,
    );
    const runner = database.isTransaction ? directRunners.get(adapter) : undefined;
    if (runner === undefined)
      return database.executeQuery<Row>(CompiledQuery.raw(template.sql, parameters));
    try {
      // The rows are those the built query selects or returns: Row is that query's type.
      return Promise.resolve(runner(template.sql, parameters) as QueryResult<Row>);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
