// Values a swagger schema almost accepts: valid everywhere but at one site, where the value has the wrong
// type, is out of range, not in the enum, too long or too short, misses a required key, carries an unknown
// one, or (the heavy kinds) is a 2 MB string or JSON nested 10,000 levels deep. Whether the result is still
// valid (a union may take it) is for swagger-oracle.ts to say.
import fc from 'fast-check';
import {
  childPath,
  flatten,
  propertiesOf,
  requiredOf,
  typeOf,
  validArbitrary,
  variantsOf,
  type Hints,
} from './swagger-arbitraries.ts';
import type { Schema } from './swagger-operations.ts';

export interface Broken {
  value: unknown;
  /** What was broken and where, e.g. `above maximum at /temperature`. */
  mutation: string;
}

export interface MutationOptions {
  hints: Hints;
  /** Multipart fields and query parameters: every value is a string on the wire. */
  strings: boolean;
  /** Only the heavy mutations (huge strings, deep nesting), at any site. */
  heavy: boolean;
}

export const HUGE_STRING_BYTES = 2 * 1024 * 1024;
export const DEEP_LEVELS = 10_000;
const MAX_DEPTH = 5;
export const UNKNOWN_KEY = 'fuzz_unknown_key';

/** JSON nested `levels` deep: JSON.stringify overflows the stack on it, so fuzz-request.ts writes it out as text. */
export class DeepValue {
  constructor(
    readonly levels: number,
    readonly kind: 'array' | 'object',
  ) {}

  text(): string {
    return this.kind === 'array'
      ? `${'['.repeat(this.levels)}0${']'.repeat(this.levels)}`
      : `${'{"a":'.repeat(this.levels)}0${'}'.repeat(this.levels)}`;
  }

  [fc.toStringMethod](): string {
    return `<JSON ${this.kind}s nested ${this.levels} deep>`;
  }
}

/** A JSON value's type, as the swagger names types. */
function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const WRONG_VALUES: unknown[] = ['fuzz', 7, 2.5, true, {}, [], [1, 'two'], { a: 1 }];
// On the wire of a form or a query everything is a string: only strings that parse as nothing else are wrong.
const WRONG_STRINGS = ['fuzz', '', '1e999', '[object Object]', 'NaN', 'null'];

function typesAllowed(schema: Schema): Set<string> {
  const variants = variantsOf(schema);
  const types =
    variants.length > 0
      ? variants.flatMap((variant) => [...typesAllowed(variant)])
      : [typeOf(schema)];
  if (types.includes('number')) types.push('integer');
  return new Set(types);
}

function site(path: string): string {
  return path === '' ? '(root)' : path;
}

/** Mutations of the value at this site itself (not of what it contains). */
function siteMutations(
  schema: Schema,
  path: string,
  options: MutationOptions,
): fc.Arbitrary<Broken>[] {
  const at = site(path);
  const broken = (values: unknown[], mutation: string): fc.Arbitrary<Broken> =>
    fc.constantFrom(...values).map((value) => ({ value, mutation: `${mutation} at ${at}` }));
  const type = typeOf(schema);
  if (options.heavy) {
    const heavy = [
      broken(
        [new DeepValue(DEEP_LEVELS, 'array'), new DeepValue(DEEP_LEVELS, 'object')],
        `${DEEP_LEVELS} levels of nesting`,
      ),
    ];
    if (type === 'string' || type === 'any')
      heavy.push(
        broken(['x'.repeat(HUGE_STRING_BYTES), 'é'.repeat(HUGE_STRING_BYTES / 2)], 'a 2 MB string'),
      );
    return heavy;
  }
  const out: fc.Arbitrary<Broken>[] = [];
  const allowed = typesAllowed(schema);
  if (!allowed.has('any')) {
    // A query or form says null with an empty value or the word: not wrong where the schema is nullable.
    const strings =
      schema.nullable === true
        ? WRONG_STRINGS.filter((text) => text !== '' && text !== 'null')
        : WRONG_STRINGS;
    const wrong = options.strings
      ? ['string', 'any'].some((name) => allowed.has(name))
        ? []
        : strings
      : WRONG_VALUES.filter((value) => !allowed.has(jsonTypeOf(value)));
    if (wrong.length > 0) out.push(broken(wrong, 'wrong type'));
    if (schema.nullable !== true && !options.strings) out.push(broken([null], 'null'));
  }
  const number = (value: number): unknown => (options.strings ? String(value) : value);
  if (typeof schema.minimum === 'number')
    out.push(
      broken(
        [
          number(schema.exclusiveMinimum === true ? schema.minimum : schema.minimum - 1),
          number(-1e300),
        ],
        'below minimum',
      ),
    );
  if (typeof schema.maximum === 'number')
    out.push(
      broken(
        [
          number(schema.exclusiveMaximum === true ? schema.maximum : schema.maximum + 1),
          number(1e300),
        ],
        'above maximum',
      ),
    );
  if (type === 'integer') out.push(broken([number(1.5), number(2 ** 53 + 2)], 'not an integer'));
  if (Array.isArray(schema.enum))
    out.push(
      broken(['fuzz-not-in-enum', `${String(schema.enum[0]).toUpperCase()}!`], 'not in the enum'),
    );
  if (typeof schema.maxLength === 'number')
    out.push(broken(['x'.repeat(schema.maxLength + 1)], 'longer than maxLength'));
  if (typeof schema.minLength === 'number' && schema.minLength > 0)
    out.push(broken(['x'.repeat(schema.minLength - 1)], 'shorter than minLength'));
  if (typeof schema.pattern === 'string')
    out.push(broken(['!fuzz pattern!'], 'not matching the pattern'));
  if (schema.format === 'date-time' || schema.format === 'date')
    out.push(broken(['2024-13-45T25:61:00Z', 'yesterday'], `not a ${schema.format}`));
  if (schema.format === 'uri')
    out.push(broken(['not a url', 'http://', 'javascript:alert(1)'], 'not a uri'));
  return out;
}

function objectMutations(
  schema: Schema,
  path: string,
  hintPath: string,
  depth: number,
  options: MutationOptions,
): fc.Arbitrary<Broken>[] {
  const properties = propertiesOf(schema);
  const valid = validArbitrary(
    { ...schema, nullable: false },
    options.hints,
    depth,
    hintPath,
  ) as fc.Arbitrary<Record<string, unknown>>;
  const out: fc.Arbitrary<Broken>[] = [];
  if (!options.heavy) {
    out.push(
      valid.map((object) => ({
        value: { ...object, [UNKNOWN_KEY]: 'fuzz' },
        mutation: `unknown key at ${path}/${UNKNOWN_KEY}`,
      })),
    );
    for (const name of requiredOf(schema)) {
      out.push(
        valid.map((object) => ({
          value: Object.fromEntries(Object.entries(object).filter(([key]) => key !== name)),
          mutation: `missing required ${path}/${name}`,
        })),
      );
    }
  }
  if (depth >= MAX_DEPTH) return out;
  for (const [name, property] of properties) {
    const inner = brokenArbitrary(
      property,
      options,
      `${path}/${name}`,
      depth + 1,
      childPath(hintPath, name),
    );
    if (inner !== undefined)
      out.push(
        fc.tuple(valid, inner).map(([object, broken]) => ({
          value: { ...object, [name]: broken.value },
          mutation: broken.mutation,
        })),
      );
  }
  return out;
}

function arrayMutations(
  schema: Schema,
  path: string,
  hintPath: string,
  depth: number,
  options: MutationOptions,
): fc.Arbitrary<Broken>[] {
  const item = validArbitrary(schema.items, options.hints, depth + 1, `${hintPath}[]`);
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const out: fc.Arbitrary<Broken>[] = [];
  if (!options.heavy && typeof schema.maxItems === 'number') {
    const count = schema.maxItems + 1;
    out.push(
      fc
        .array(item, { minLength: count, maxLength: count })
        .map((value) => ({ value, mutation: `more than maxItems at ${site(path)}` })),
    );
  }
  if (!options.heavy && minItems > 0)
    out.push(
      fc
        .array(item, { maxLength: minItems - 1 })
        .map((value) => ({ value, mutation: `fewer than minItems at ${site(path)}` })),
    );
  const inner =
    depth >= MAX_DEPTH
      ? undefined
      : brokenArbitrary(schema.items, options, `${path}/0`, depth + 1, `${hintPath}[]`);
  if (inner !== undefined) {
    out.push(
      fc
        .tuple(
          fc.array(item, { minLength: Math.max(0, minItems - 1), maxLength: minItems + 1 }),
          inner,
        )
        .map(([items, broken]) => ({ value: [broken.value, ...items], mutation: broken.mutation })),
    );
  }
  return out;
}

/** Broken values for `raw` (undefined when nothing at or under it can be broken). */
export function brokenArbitrary(
  raw: unknown,
  options: MutationOptions,
  path = '',
  depth = 0,
  hintPath = '',
): fc.Arbitrary<Broken> | undefined {
  const schema = flatten(raw);
  const out = siteMutations(schema, path, options);
  const variants = variantsOf(schema);
  for (const variant of variants) {
    const inner = brokenArbitrary(variant, options, path, depth, hintPath);
    if (inner !== undefined) out.push(inner);
  }
  if (variants.length === 0 && typeOf(schema) === 'object' && !(options.strings && depth > 0))
    out.push(...objectMutations(schema, path, hintPath, depth, options));
  if (variants.length === 0 && typeOf(schema) === 'array' && !options.strings)
    out.push(...arrayMutations(schema, path, hintPath, depth, options));
  return out.length === 0 ? undefined : fc.oneof(...out);
}
