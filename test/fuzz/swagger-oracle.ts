// Whether the swagger accepts a request's body and parameters: the oracle that tells a broken request (which
// must get a 4xx) from one the mutator happened to leave valid. allOf is read merged, as the generator reads it
// (EditImageRequest is strict, and its allOf adds modelId).
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { flatten, FuzzFile, typeOf, variantsOf } from './swagger-arbitraries.ts';
import type { Operation, Schema } from './swagger-operations.ts';

const COPIED = [
  'type',
  'enum',
  'required',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
] as const;
const FORMATS = new Set(['date-time', 'date', 'uri']);
/** Enums of these list Venice's catalogue; a self-hosted server serves its own models, so any id is well formed. */
const MODEL_FIELDS = new Set(['model', 'modelId']);

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON Schema (draft-07, as Ajv speaks it) of an OpenAPI 3.0 schema. */
function toJsonSchema(raw: unknown): Schema {
  const schema = flatten(raw);
  const out: Schema = {};
  const variants = variantsOf(schema);
  if (variants.length > 0) out.anyOf = variants.map(toJsonSchema);
  for (const key of COPIED)
    if (schema[key] !== undefined && variants.length === 0) out[key] = schema[key];
  if (typeof schema.format === 'string' && FORMATS.has(schema.format)) out.format = schema.format;
  if (schema.exclusiveMinimum === true) {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  }
  if (schema.exclusiveMaximum === true) {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  }
  if (isObject(schema.properties) && variants.length === 0) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, value]) => {
        const property = toJsonSchema(value);
        if (MODEL_FIELDS.has(name)) delete property.enum;
        return [name, property];
      }),
    );
  }
  if (schema.additionalProperties === false && variants.length === 0)
    out.additionalProperties = false;
  else if (isObject(schema.additionalProperties) && variants.length === 0)
    out.additionalProperties = toJsonSchema(schema.additionalProperties);
  if (schema.items !== undefined && variants.length === 0) out.items = toJsonSchema(schema.items);
  if (schema.nullable === true) {
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: false, logger: false });
addFormatsModule.default(ajv);
const compiled = new Map<string, ValidateFunction>();

function validator(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(toJsonSchema(schema));
    compiled.set(key, validate);
  }
  return validate;
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A form field's or query parameter's value as the schema reads it: on the wire everything is a string, so a
 * number is a JSON number's digits, a boolean `true`/`false`, null (where nullable) an empty value or `null`,
 * an array the repeated name (one value is a one-item array), and a file any string.
 */
function fromWire(raw: unknown, value: unknown): unknown {
  if (value instanceof FuzzFile) return 'file';
  const schema = flatten(raw);
  const variants = variantsOf(schema);
  const types = new Set(variants.length > 0 ? variants.map(typeOf) : [typeOf(schema)]);
  if (types.has('array')) {
    const items = (variants.find((variant) => typeOf(variant) === 'array') ?? schema).items;
    return (Array.isArray(value) ? value : [value]).map((item) => fromWire(items, item));
  }
  if (Array.isArray(value)) return value.map((item) => fromWire(schema, item));
  if (typeof value !== 'string' || types.has('string') || types.has('any')) return value;
  if (schema.nullable === true && (value === '' || value === 'null')) return null;
  if (
    (types.has('integer') || types.has('number')) &&
    JSON_NUMBER.test(value) &&
    Number.isFinite(Number(value))
  )
    return Number(value);
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function formFromWire(schema: unknown, fields: unknown): unknown {
  if (!isObject(fields)) return fields;
  const properties = flatten(schema).properties;
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [
      name,
      fromWire(isObject(properties) ? properties[name] : {}, value),
    ]),
  );
}

/**
 * The body as the swagger would have it where Rialto takes what Venice's own guides send (issue #18):
 * /video|audio/retrieve and /complete without `model` (video-upscaling.mdx), a video `duration` in bare seconds
 * ("8", reference-to-video.mdx), read as "8s".
 */
function asTheGuidesSendIt(operation: Operation, body: unknown): unknown {
  if (!isObject(body)) return body;
  if (/^\/(video|audio)\/(retrieve|complete)$/.test(operation.template) && !('model' in body))
    return { ...body, model: 'any' };
  const duration = body.duration;
  if (
    /^\/video\/(queue|quote)$/.test(operation.template) &&
    typeof duration === 'string' &&
    /^\d+$/.test(duration)
  )
    return { ...body, duration: `${Number(duration)}s` };
  return body;
}

/** Whether the swagger accepts `body` (parsed JSON, or a form's wire values) as the operation's `mediaType` body. */
export function bodyAccepted(operation: Operation, mediaType: string, body: unknown): boolean {
  const schema = operation.bodies.get(mediaType);
  if (schema === undefined) return false;
  return validator(
    `${operation.id} ${mediaType}`,
    schema,
  )(
    mediaType === 'multipart/form-data'
      ? formFromWire(schema, body)
      : asTheGuidesSendIt(operation, body),
  );
}

/** Whether the swagger accepts these query, path and header values (absent: undefined). */
export function parametersAccepted(operation: Operation, values: Record<string, unknown>): boolean {
  return operation.parameters.every((parameter) => {
    const value = values[parameter.name];
    if (value === undefined) return !parameter.required;
    // An empty path segment names nothing (`/api_keys/` has no {id}), and URLs lose `.` and `..` segments on the way.
    if (parameter.in === 'path' && ['', '.', '..'].includes(String(value))) return false;
    return validator(
      `${operation.id} ${parameter.in} ${parameter.name}`,
      parameter.schema,
    )(fromWire(parameter.schema, value));
  });
}
