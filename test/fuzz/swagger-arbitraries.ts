// fast-check arbitraries for values a swagger schema accepts: $ref resolved, allOf merged, oneOf/anyOf as a
// choice of their branches, enums, bounds, lengths, patterns, formats, nullable and required keys.
// Hints put engine-reaching values (configured model ids, real images and audio, local URLs) where the spec
// only says "a string".
import fc from 'fast-check';
import { resolveRef, type Schema } from './swagger-operations.ts';

/** A file (swagger `format: binary`): a part of a multipart form; in a JSON body, its base64. */
export class FuzzFile {
  constructor(
    readonly bytes: Uint8Array,
    readonly filename: string,
    readonly contentType: string,
  ) {}

  toJSON(): string {
    return Buffer.from(this.bytes).toString('base64');
  }

  [fc.toStringMethod](): string {
    return `FuzzFile(${JSON.stringify(this.filename)}, ${JSON.stringify(this.contentType)}, ${this.bytes.length} bytes)`;
  }
}

export interface Hints {
  /**
   * Values by dotted path from the body's root (`model`, `venice_parameters.character_slug`, `images[]`) or by
   * parameter name: e.g. `model` → the configured ids. One value in five still comes from the schema.
   */
  properties?: Record<string, fc.Arbitrary<unknown>>;
  /** Paths whose values come from `properties` alone (e.g. an upscale factor that keeps the engine fast). */
  only?: ReadonlySet<string>;
  /** Optional properties valid requests leave out (e.g. a deprecated field that is always refused). */
  omit?: ReadonlySet<string>;
  /** Files for `format: binary` strings. */
  file?: fc.Arbitrary<FuzzFile>;
  /** URLs for `format: uri` strings. */
  url?: fc.Arbitrary<string>;
}

/** Past this depth objects carry only their required keys and arrays their fewest items. */
const MAX_DEPTH = 6;
const UNION_KEYS = ['anyOf', 'oneOf'] as const;

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema with its $ref followed and its allOf merged into one (properties joined, required joined, strict if any part is). */
export function flatten(raw: unknown): Schema {
  const schema =
    isObject(raw) && typeof raw.$ref === 'string' ? resolveRef(raw) : isObject(raw) ? raw : {};
  if (!Array.isArray(schema.allOf)) return schema;
  const { allOf, ...rest } = schema;
  const merged: Schema = { ...rest };
  for (const part of (allOf as unknown[]).map(flatten)) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties')
        merged.properties = { ...(merged.properties as Schema | undefined), ...(value as Schema) };
      else if (key === 'required')
        merged.required = [
          ...new Set([
            ...((merged.required as string[] | undefined) ?? []),
            ...(value as string[]),
          ]),
        ];
      else if (key === 'additionalProperties')
        merged.additionalProperties = merged.additionalProperties === false ? false : value;
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}

const ANNOTATIONS = new Set([
  'nullable',
  'description',
  'title',
  'example',
  'default',
  'deprecated',
]);

/**
 * A union branch that is `{ nullable: true }` and nothing else: how zod-to-openapi writes z.null() (e.g.
 * consumptionLimit.usd, chat `stop`). OpenAPI 3.0 would read it as "anything"; the evident meaning is null.
 */
function isNullBranch(branch: Schema): boolean {
  return branch.nullable === true && Object.keys(branch).every((key) => ANNOTATIONS.has(key));
}

/** The branches of a oneOf/anyOf, each merged with the keys beside the union; [] when there is none. */
export function variantsOf(schema: Schema): Schema[] {
  const key = UNION_KEYS.find((name) => Array.isArray(schema[name]));
  if (key === undefined) return [];
  const { [key]: branches, nullable: _nullable, ...base } = schema;
  return (branches as unknown[]).map((raw) => {
    const branch = flatten(raw);
    return isNullBranch(branch) ? { type: 'null' } : flatten({ allOf: [base, branch] });
  });
}

/** The JSON type a schema describes ('any' for `{}`, 'null' for a null branch). */
export function typeOf(schema: Schema): string {
  if (typeof schema.type === 'string') return schema.type;
  if (isObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return typeof schema.enum[0];
  return 'any';
}

export function propertiesOf(schema: Schema): [string, Schema][] {
  return Object.entries(isObject(schema.properties) ? schema.properties : {}).map(
    ([name, value]) => [name, flatten(value)],
  );
}

export function requiredOf(schema: Schema): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
}

const EPOCH_2000 = Date.UTC(2000, 0, 1);
const EPOCH_2100 = Date.UTC(2100, 0, 1);

function stringArbitrary(schema: Schema, hints: Hints, path: string): fc.Arbitrary<unknown> {
  // Strings named *url / *urls are URLs whatever their format says (video image_url, /video/transcriptions url).
  if (hints.url !== undefined && /url(s\[\])?$/i.test(path)) return hints.url;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength =
    typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  const fits = (text: string): boolean => text.length >= minLength && text.length <= maxLength;
  switch (schema.format) {
    case 'binary':
      return (
        hints.file ??
        fc
          .uint8Array({ maxLength: 64 })
          .map((bytes) => new FuzzFile(bytes, 'fuzz.bin', 'application/octet-stream'))
      );
    case 'date-time':
      return fc
        .integer({ min: EPOCH_2000, max: EPOCH_2100 })
        .map((time) => new Date(time).toISOString());
    case 'date':
      return fc
        .integer({ min: EPOCH_2000, max: EPOCH_2100 })
        .map((time) => new Date(time).toISOString().slice(0, 10));
    case 'uri':
      return hints.url ?? fc.webUrl();
  }
  if (typeof schema.pattern === 'string')
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  const upper = Math.min(maxLength, minLength + 24);
  const text = fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength: upper }) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'binary', minLength, maxLength: upper }).filter(fits),
    },
  );
  // Never an example that is a URL: the fuzzer stays offline (URLs come from hints.url, all on 127.0.0.1).
  const example =
    typeof schema.example === 'string' &&
    fits(schema.example) &&
    !/^(https?:|www\.)/i.test(schema.example)
      ? schema.example
      : undefined;
  return example === undefined ? text : fc.oneof(fc.constant(example), text);
}

function bound(
  schema: Schema,
  key: 'minimum' | 'maximum',
): { value: number; excluded: boolean } | undefined {
  const value = schema[key];
  const exclusive = schema[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'];
  if (typeof exclusive === 'number') return { value: exclusive, excluded: true };
  return typeof value === 'number' ? { value, excluded: exclusive === true } : undefined;
}

function numberArbitrary(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const low = bound(schema, 'minimum');
  const high = bound(schema, 'maximum');
  if (integer) {
    const min =
      low === undefined
        ? -(2 ** 31)
        : Math.ceil(low.value) + (low.excluded && Number.isInteger(low.value) ? 1 : 0);
    const max =
      high === undefined
        ? 2 ** 31
        : Math.floor(high.value) - (high.excluded && Number.isInteger(high.value) ? 1 : 0);
    // Small values most of the time: an engine asked for 2^31 tokens or images would be slow, not wrong.
    return fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min, max: Math.min(max, Math.max(min, 0) + 16) }) },
      { weight: 1, arbitrary: fc.integer({ min, max }) },
    );
  }
  return fc.double({
    noNaN: true,
    noDefaultInfinity: true,
    ...(low === undefined ? { min: -1e12 } : { min: low.value, minExcluded: low.excluded }),
    ...(high === undefined ? { max: 1e12 } : { max: high.value, maxExcluded: high.excluded }),
  });
}

/** The dotted path of a property, as hints name it. */
export function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function objectArbitrary(
  schema: Schema,
  hints: Hints,
  depth: number,
  path: string,
): fc.Arbitrary<unknown> {
  const properties = propertiesOf(schema);
  const required = requiredOf(schema);
  if (properties.length === 0) {
    if (schema.additionalProperties === false) return fc.constant({});
    const values = isObject(schema.additionalProperties)
      ? validArbitrary(schema.additionalProperties, hints, depth + 1, `${path}.*`)
      : fc.jsonValue({ maxDepth: 1 });
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), values, {
      maxKeys: depth >= MAX_DEPTH ? 0 : 3,
    });
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of properties) {
    const omitted =
      !required.has(name) &&
      (depth >= MAX_DEPTH || hints.omit?.has(childPath(path, name)) === true);
    if (!omitted) model[name] = validArbitrary(property, hints, depth + 1, childPath(path, name));
  }
  return fc.record(model, { requiredKeys: [...required].filter((name) => name in model) });
}

/** Values `raw` accepts. `path` names the value (dotted, from the body's root, or a parameter's name) for the hints. */
export function validArbitrary(
  raw: unknown,
  hints: Hints = {},
  depth = 0,
  path = '',
): fc.Arbitrary<unknown> {
  const schema = flatten(raw);
  const hint = path === '' ? undefined : hints.properties?.[path];
  const generated =
    hint !== undefined && hints.only?.has(path) === true
      ? undefined
      : schemaArbitrary(schema, hints, depth, path);
  if (hint === undefined || generated === undefined) return orNull(schema, hint ?? generated!);
  return orNull(
    schema,
    fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: generated }),
  );
}

function orNull(schema: Schema, arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return schema.nullable === true ? fc.option(arbitrary, { nil: null, freq: 8 }) : arbitrary;
}

function schemaArbitrary(
  schema: Schema,
  hints: Hints,
  depth: number,
  path: string,
): fc.Arbitrary<unknown> {
  const variants = variantsOf(schema);
  if (variants.length > 0)
    return fc.oneof(
      ...variants.map((variant) => orNull(variant, schemaArbitrary(variant, hints, depth, path))),
    );
  if (Array.isArray(schema.enum))
    return fc.constantFrom(...schema.enum.filter((value) => value !== null));
  switch (typeOf(schema)) {
    case 'string':
      return stringArbitrary(schema, hints, path);
    case 'integer':
      return numberArbitrary(schema, true);
    case 'number':
      return numberArbitrary(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'object':
      return objectArbitrary(schema, hints, depth, path);
    case 'array': {
      const minLength = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxItems =
        typeof schema.maxItems === 'number' ? schema.maxItems : Number.POSITIVE_INFINITY;
      const maxLength = depth >= MAX_DEPTH ? minLength : Math.min(maxItems, minLength + 3);
      return fc.array(validArbitrary(schema.items, hints, depth + 1, `${path}[]`), {
        minLength,
        maxLength,
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
