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
 * per database. Values bind exactly as the builder would have bound them (a BigInt stays a BigInt).
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
    return database.executeQuery<Row>(CompiledQuery.raw(template.sql, parameters));
  };
}
