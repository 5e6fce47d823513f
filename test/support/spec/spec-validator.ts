// Contract checks against the Venice swagger (OpenAPI 3.0).
//
// Tests use this to assert that every HTTP response body (and every SSE chunk
// of a streamed chat completion) matches Venice's swagger (spec/venice-swagger.yaml).
// The swagger is loaded once (lazily), its OpenAPI 3.0 dialect is converted to
// plain JSON Schema (draft-07, as Ajv 8 speaks it), and validators are compiled
// on demand and cached.
//
// Location: `spec/venice-swagger.yaml` in the repository (a copy of the contract),
// or the path in env VENICE_SWAGGER (relative paths resolve from the repo root).

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type JsonObject = Record<string, unknown>;

export interface ResponseToValidate {
  /** HTTP method, any case. */
  method: string;
  /** Request path, with or without the `/api/v1` prefix; a query string is ignored. */
  path: string;
  /** HTTP status code of the response. */
  status: number | string;
  /** Content-Type header of the response (parameters such as charset are ignored). Default: application/json. */
  contentType?: string | undefined;
  /** Parsed JSON body (or raw string/Buffer for non-JSON media types). */
  body: unknown;
}

/** Thrown when a response does not follow the swagger (or is not documented in it). */
export class SpecValidationError extends Error {
  readonly errors: readonly ErrorObject[];
  constructor(message: string, errors: readonly ErrorObject[] = []) {
    super(message);
    this.name = 'SpecValidationError';
    this.errors = errors;
  }
}

const API_PREFIX = '/api/v1';
const ROOT_ID = 'https://rialto.local/venice-swagger.json';
const COMPONENT_REF_PREFIX = '#/components/schemas/';
const MAX_ERRORS_SHOWN = 25;
const MAX_BODY_CHARS = 2000;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// OpenAPI-only keywords that carry no validation meaning for us.
const IGNORED_KEYWORDS = new Set([
  'example',
  'examples',
  'discriminator',
  'xml',
  'deprecated',
  'externalDocs',
  'readOnly',
  'writeOnly',
  'nullable',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);
// Keywords whose value is a map of name -> schema.
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
// Keywords whose value is a single schema.
const SCHEMA_KEYWORDS = new Set([
  'additionalProperties',
  'additionalItems',
  'not',
  'propertyNames',
  'contains',
  'if',
  'then',
  'else',
]);
// Keywords whose value is an array of schemas.
const SCHEMA_ARRAY_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf']);

// ---------------------------------------------------------------------------
// Loading

function repoRoot(): string {
  // test/support/spec/spec-validator.ts -> repository root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Absolute path of the swagger file in use. */
export function swaggerPath(): string {
  const override = process.env['VENICE_SWAGGER'];
  if (override !== undefined && override !== '') {
    return isAbsolute(override) ? override : resolve(repoRoot(), override);
  }
  return resolve(repoRoot(), 'spec', 'venice-swagger.yaml');
}

interface OperationEntry {
  template: string;
  pattern: RegExp;
  literalSegments: number;
  item: JsonObject;
}

interface SpecState {
  doc: JsonObject;
  ajv: Ajv;
  knownFormats: Set<string>;
  paths: OperationEntry[];
  validators: Map<string, ValidateFunction>;
  chunkValidator?: ValidateFunction;
}

let state: SpecState | undefined;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function loadState(): SpecState {
  if (state !== undefined) return state;
  const file = swaggerPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `spec-validator: cannot read swagger at ${file} (set VENICE_SWAGGER to override): ${String(error)}`,
    );
  }
  const doc: unknown = parseYaml(text);
  if (!isObject(doc) || !isObject(doc['paths'])) {
    throw new Error(`spec-validator: ${file} does not look like an OpenAPI document (no "paths")`);
  }

  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormatsModule.default(ajv);
  const knownFormats = new Set(Object.keys(ajv.formats));

  const partial: Omit<SpecState, 'paths'> = { doc, ajv, knownFormats, validators: new Map() };

  // Register every component schema under one root document so that
  // `$ref: '#/components/schemas/X'` (rewritten to ROOT_ID#/...) resolves.
  const components = isObject(doc['components']) ? doc['components'] : {};
  const rawSchemas = isObject(components['schemas']) ? components['schemas'] : {};
  const converted: JsonObject = {};
  for (const [name, schema] of Object.entries(rawSchemas)) {
    converted[name] = convertSchema(schema, knownFormats);
  }
  ajv.addSchema({ $id: ROOT_ID, components: { schemas: converted } });

  const paths: OperationEntry[] = [];
  for (const [template, item] of Object.entries(doc['paths'])) {
    if (!isObject(item)) continue;
    const segments = template.split('/').filter((segment) => segment !== '');
    const source = segments
      .map((segment) =>
        segment
          .split(/(\{[^}]+\})/)
          .map((piece) => (/^\{[^}]+\}$/.test(piece) ? '[^/]+' : escapeRegExp(piece)))
          .join(''),
      )
      .join('/');
    paths.push({
      template,
      pattern: new RegExp(`^/${source}$`),
      literalSegments: segments.filter((segment) => !segment.includes('{')).length,
      item,
    });
  }
  // Prefer the most literal template (`/api_keys/rate_limits` over `/api_keys/{id}`).
  paths.sort((a, b) => b.literalSegments - a.literalSegments);

  state = { ...partial, paths };
  return state;
}

/** The parsed swagger document (loaded once). */
export function getSwagger(): JsonObject {
  return loadState().doc;
}

// ---------------------------------------------------------------------------
// OpenAPI 3.0 -> JSON Schema

function rewriteRef(ref: string): string {
  if (ref.startsWith(COMPONENT_REF_PREFIX)) return `${ROOT_ID}${ref}`;
  return ref;
}

function makeNullable(schema: JsonObject): JsonObject {
  const composite = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not'].some((key) => key in schema);
  if (composite) {
    const { title, description, default: defaultValue, ...rest } = schema;
    const wrapped: JsonObject = { anyOf: [rest, { type: 'null' }] };
    if (title !== undefined) wrapped['title'] = title;
    if (description !== undefined) wrapped['description'] = description;
    if (defaultValue !== undefined) wrapped['default'] = defaultValue;
    return wrapped;
  }
  const type = schema['type'];
  if (typeof type === 'string') {
    schema['type'] = type === 'null' ? type : [type, 'null'];
  } else if (Array.isArray(type) && !type.includes('null')) {
    schema['type'] = [...type, 'null'];
  }
  const values = schema['enum'];
  if (Array.isArray(values) && !values.includes(null)) schema['enum'] = [...values, null];
  // A nullable schema without type/enum/composition already accepts null.
  return schema;
}

/** Converts one OpenAPI 3.0 schema object to a JSON Schema understood by Ajv. */
function convertSchema(schema: unknown, knownFormats: ReadonlySet<string>): unknown {
  if (Array.isArray(schema)) return schema.map((entry) => convertSchema(entry, knownFormats));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (IGNORED_KEYWORDS.has(key) || key.startsWith('x-')) continue;
    if (SCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) {
      const mapped: JsonObject = {};
      for (const [name, sub] of Object.entries(value))
        mapped[name] = convertSchema(sub, knownFormats);
      out[key] = mapped;
    } else if (SCHEMA_KEYWORDS.has(key) || key === 'items') {
      out[key] = convertSchema(value, knownFormats);
    } else if (SCHEMA_ARRAY_KEYWORDS.has(key) && Array.isArray(value)) {
      out[key] = value.map((entry) => convertSchema(entry, knownFormats));
    } else if (key === '$ref' && typeof value === 'string') {
      out[key] = rewriteRef(value);
    } else if (key === 'format') {
      if (typeof value === 'string' && knownFormats.has(value)) out[key] = value;
    } else {
      out[key] = value;
    }
  }
  // OpenAPI 3.0 (draft-04 style) boolean exclusive bounds -> numeric (draft-06+).
  const exclusiveMinimum = schema['exclusiveMinimum'];
  if (exclusiveMinimum === true && typeof schema['minimum'] === 'number') {
    out['exclusiveMinimum'] = schema['minimum'];
    delete out['minimum'];
  } else if (typeof exclusiveMinimum === 'number') {
    out['exclusiveMinimum'] = exclusiveMinimum;
  }
  const exclusiveMaximum = schema['exclusiveMaximum'];
  if (exclusiveMaximum === true && typeof schema['maximum'] === 'number') {
    out['exclusiveMaximum'] = schema['maximum'];
    delete out['maximum'];
  } else if (typeof exclusiveMaximum === 'number') {
    out['exclusiveMaximum'] = exclusiveMaximum;
  }
  if (schema['nullable'] === true) return makeNullable(out);
  return out;
}

function asSchemaObject(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw new Error(`spec-validator: expected a schema object at ${where}`);
  return value;
}

// ---------------------------------------------------------------------------
// Error reporting

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more chars)`;
}

function describeBody(body: unknown): string {
  if (typeof body === 'string') return truncate(JSON.stringify(body), MAX_BODY_CHARS);
  if (body instanceof Uint8Array) return `<${body.byteLength} bytes>`;
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    json = undefined;
  }
  return truncate(json ?? String(body), MAX_BODY_CHARS);
}

function formatErrors(errors: readonly ErrorObject[]): string {
  const lines = errors.slice(0, MAX_ERRORS_SHOWN).map((error) => {
    const at = error.instancePath === '' ? '(root)' : error.instancePath;
    const params = Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : '';
    return `  - ${at} ${error.message ?? 'is invalid'}${params}  [schema ${error.schemaPath}]`;
  });
  if (errors.length > MAX_ERRORS_SHOWN)
    lines.push(`  … and ${errors.length - MAX_ERRORS_SHOWN} more error(s)`);
  return lines.join('\n');
}

function check(validate: ValidateFunction, value: unknown, what: string): void {
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  throw new SpecValidationError(
    `${what} does not match the Venice swagger:\n${formatErrors(errors)}\nBody: ${describeBody(value)}`,
    errors,
  );
}

// ---------------------------------------------------------------------------
// Operations and responses

function normalizePath(path: string): string {
  let clean = path;
  const cut = clean.search(/[?#]/);
  if (cut >= 0) clean = clean.slice(0, cut);
  // Accept absolute URLs too.
  const schemeMatch = /^[a-z][a-z0-9+.-]*:\/\/[^/]+/i.exec(clean);
  if (schemeMatch) clean = clean.slice(schemeMatch[0].length);
  if (!clean.startsWith('/')) clean = `/${clean}`;
  if (clean === API_PREFIX || clean.startsWith(`${API_PREFIX}/`))
    clean = clean.slice(API_PREFIX.length) || '/';
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  return clean;
}

interface FoundOperation {
  template: string;
  method: string;
  operation: JsonObject;
}

function findOperation(method: string, path: string): FoundOperation {
  const { paths } = loadState();
  const clean = normalizePath(path);
  const lower = method.toLowerCase();
  const candidates = paths.filter((entry) => entry.pattern.test(clean));
  if (candidates.length === 0) {
    throw new SpecValidationError(
      `Path ${clean} (from ${path}) is not documented in the Venice swagger`,
    );
  }
  for (const entry of candidates) {
    const operation = entry.item[lower];
    if (isObject(operation)) return { template: entry.template, method: lower, operation };
  }
  const documented = candidates
    .map(
      (entry) =>
        `${entry.template}: ${HTTP_METHODS.filter((m) => isObject(entry.item[m]))
          .join(', ')
          .toUpperCase()}`,
    )
    .join('; ');
  throw new SpecValidationError(
    `${method.toUpperCase()} ${clean} is not documented in the Venice swagger (documented: ${documented})`,
  );
}

/** Status codes (and `default`/ranges) the swagger lists for an operation. */
export function documentedStatuses(method: string, path: string): string[] {
  const { operation } = findOperation(method, path);
  const responses = isObject(operation['responses']) ? operation['responses'] : {};
  return Object.keys(responses);
}

function pickResponse(
  found: FoundOperation,
  status: string,
): { key: string; response: JsonObject } {
  const responses = isObject(found.operation['responses']) ? found.operation['responses'] : {};
  const range = `${status.charAt(0)}XX`;
  for (const key of [status, range, range.toLowerCase(), 'default']) {
    const response = responses[key];
    if (isObject(response)) return { key, response };
  }
  throw new SpecValidationError(
    `${found.method.toUpperCase()} ${found.template} does not document status ${status} ` +
      `(documented: ${Object.keys(responses).join(', ') || 'none'}) — contract violation`,
  );
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function getValidator(cacheKey: string, build: () => unknown): ValidateFunction {
  const current = loadState();
  let validate = current.validators.get(cacheKey);
  if (validate === undefined) {
    validate = current.ajv.compile(asSchemaObject(build(), cacheKey));
    current.validators.set(cacheKey, validate);
  }
  return validate;
}

/**
 * Asserts that a response body follows the swagger for `method path -> status`.
 * Throws SpecValidationError when the operation, status or media type is not
 * documented, or when the body does not match the documented schema.
 */
export function validateResponse(response: ResponseToValidate): void {
  const { knownFormats } = loadState();
  const found = findOperation(response.method, response.path);
  const status = String(response.status);
  const { key, response: spec } = pickResponse(found, status);
  const label = `${found.method.toUpperCase()} ${found.template} → ${status}`;
  const content = isObject(spec['content']) ? spec['content'] : undefined;

  if (content === undefined || Object.keys(content).length === 0) {
    const empty =
      response.body === undefined ||
      response.body === null ||
      response.body === '' ||
      (response.body instanceof Uint8Array && response.body.byteLength === 0);
    if (!empty) {
      throw new SpecValidationError(
        `${label}: the swagger documents no response body, but one was sent: ${describeBody(response.body)}`,
      );
    }
    return;
  }

  const mediaTypes = Object.keys(content);
  let mediaType: string;
  if (response.contentType !== undefined && response.contentType !== '') {
    mediaType = (response.contentType.split(';')[0] ?? '').trim().toLowerCase();
  } else if ('application/json' in content || mediaTypes.length !== 1) {
    mediaType = 'application/json';
  } else {
    mediaType = mediaTypes[0] ?? 'application/json';
  }
  const media =
    content[mediaType] ??
    content[Object.keys(content).find((k) => k.toLowerCase() === mediaType) ?? ''];
  if (!isObject(media)) {
    throw new SpecValidationError(
      `${label}: media type ${mediaType} is not documented (documented: ${mediaTypes.join(', ')})`,
    );
  }
  const rawSchema = media['schema'];
  if (rawSchema === undefined) return;

  if (!isJsonMediaType(mediaType)) {
    // Binary/text payloads: only a plain (non-binary) string schema is checkable.
    const schema = asSchemaObject(rawSchema, label);
    if (
      typeof response.body !== 'string' ||
      schema['format'] === 'binary' ||
      schema['type'] !== 'string'
    )
      return;
  }

  const cacheKey = `${found.method} ${found.template} ${key} ${mediaType}`;
  const validate = getValidator(cacheKey, () => convertSchema(rawSchema, knownFormats));
  check(validate, response.body, `Response body of ${label} (${mediaType})`);
}

/** Asserts that `value` matches `#/components/schemas/<componentName>`. */
export function validateSchema(componentName: string, value: unknown): void {
  const { doc } = loadState();
  const components = isObject(doc['components']) ? doc['components'] : {};
  const schemas = isObject(components['schemas']) ? components['schemas'] : {};
  if (!(componentName in schemas)) {
    throw new Error(`spec-validator: #/components/schemas/${componentName} is not in the swagger`);
  }
  const validate = getValidator(`component ${componentName}`, () => ({
    $ref: `${ROOT_ID}${COMPONENT_REF_PREFIX}${componentName}`,
  }));
  check(validate, value, `Value for #/components/schemas/${componentName}`);
}

// ---------------------------------------------------------------------------
// Streaming: chat.completion.chunk

function dig(value: unknown, path: readonly string[], where: string): JsonObject {
  let current: unknown = value;
  const walked: string[] = [];
  for (const part of path) {
    walked.push(part);
    if (!isObject(current) || !(part in current)) {
      throw new Error(`spec-validator: swagger has no ${where}/${walked.join('/')}`);
    }
    current = current[part];
  }
  return asSchemaObject(current, `${where}/${path.join('/')}`);
}

/** The (converted) non-stream 200 response schema of POST /chat/completions. */
function chatCompletionResponseSchema(): JsonObject {
  const { doc, knownFormats } = loadState();
  const raw = dig(
    doc,
    [
      'paths',
      '/chat/completions',
      'post',
      'responses',
      '200',
      'content',
      'application/json',
      'schema',
    ],
    '#',
  );
  return asSchemaObject(convertSchema(raw, knownFormats), 'chat completion response');
}

/**
 * JSON Schema for an OpenAI-convention `chat.completion.chunk`, derived from the
 * swagger's non-stream chat completion response (the swagger documents no
 * text/event-stream schema).
 */
export function chatCompletionChunkSchema(): JsonObject {
  const response = chatCompletionResponseSchema();
  const where = 'chat completion response';
  const props = dig(response, ['properties'], where);
  const choice = dig(props, ['choices', 'items'], where);
  const choiceProps = dig(choice, ['properties'], `${where}/choices/items`);
  const message = dig(choiceProps, ['message'], `${where}/choices/items/properties`);
  const messageVariants = Array.isArray(message['anyOf']) ? message['anyOf'] : [message];
  const assistant = messageVariants.find(
    (variant): variant is JsonObject =>
      isObject(variant) &&
      isObject(variant['properties']) &&
      JSON.stringify((variant['properties'] as JsonObject)['role']).includes('"assistant"'),
  );
  if (assistant === undefined)
    throw new Error('spec-validator: no assistant message schema in the chat response');
  const assistantProps = dig(assistant, ['properties'], `${where}/message(assistant)`);

  // finish_reason: the spec's enum, plus null (chunks carry null until the last one).
  const finishReason = makeNullable(structuredClone(dig(choiceProps, ['finish_reason'], where)));
  const nullableString = (source: unknown): JsonObject =>
    isObject(source) ? structuredClone(source) : { type: ['string', 'null'] };

  const delta: JsonObject = {
    type: 'object',
    properties: {
      role: structuredClone(dig(assistantProps, ['role'], where)),
      content: { type: ['string', 'null'] },
      reasoning_content: nullableString(assistantProps['reasoning_content']),
      tool_calls: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer', minimum: 0 },
            id: { type: 'string' },
            type: { type: 'string', enum: ['function'] },
            function: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                arguments: { type: 'string' },
              },
            },
          },
          required: ['index'],
        },
      },
    },
  };

  const chunkChoiceProps: JsonObject = {
    index: structuredClone(dig(choiceProps, ['index'], where)),
    delta,
    finish_reason: finishReason,
  };
  if (isObject(choiceProps['logprobs']))
    chunkChoiceProps['logprobs'] = structuredClone(choiceProps['logprobs']);
  if (isObject(choiceProps['stop_reason']))
    chunkChoiceProps['stop_reason'] = structuredClone(choiceProps['stop_reason']);

  const chunkProps: JsonObject = {
    id: structuredClone(dig(props, ['id'], where)),
    object: { type: 'string', enum: ['chat.completion.chunk'] },
    created: structuredClone(dig(props, ['created'], where)),
    model: structuredClone(dig(props, ['model'], where)),
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: chunkChoiceProps,
        required: ['index', 'delta', 'finish_reason'],
      },
    },
    usage: makeNullable(structuredClone(dig(props, ['usage'], where))),
  };
  for (const optional of ['cost', 'venice_parameters'] as const) {
    if (isObject(props[optional])) chunkProps[optional] = structuredClone(props[optional]);
  }

  return {
    type: 'object',
    properties: chunkProps,
    required: ['id', 'object', 'created', 'model', 'choices'],
  };
}

/** Asserts that one parsed SSE `data:` payload is a valid `chat.completion.chunk`. */
export function validateChatCompletionChunk(chunk: unknown): void {
  const current = loadState();
  if (current.chunkValidator === undefined) {
    current.chunkValidator = current.ajv.compile(chatCompletionChunkSchema());
  }
  check(current.chunkValidator, chunk, 'chat.completion.chunk');
}
