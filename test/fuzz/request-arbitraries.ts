// Whole requests for one operation: valid ones (parameters and a body of each documented media type, the key
// the operation wants), and broken ones: one parameter or body field broken (schema-mutator.ts), a body that is
// not what the content type says (invalid JSON, empty, bad UTF-8, a truncated multipart form), a content type
// the operation does not take, or a missing, unknown or too weak key.
import fc from 'fast-check';
import {
  brokenArbitrary,
  DeepValue,
  DEEP_LEVELS,
  HUGE_STRING_BYTES,
  type Broken,
} from './schema-mutator.ts';
import { validArbitrary, type Hints } from './swagger-arbitraries.ts';
import { FuzzRequest, serialize, toWire, type FuzzBody, type KeyKind } from './fuzz-request.ts';
import type { OperationProfile } from './fuzz-profiles.ts';
import type { Operation, Parameter } from './swagger-operations.ts';
import { multipartBytes } from './multipart-bytes.ts';
import { bodyAccepted } from './swagger-oracle.ts';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'multipart/form-data';

interface Parts {
  pathParameters: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

function parameterValues(operation: Operation, hints: Hints): fc.Arbitrary<Parts> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const parameter of operation.parameters) {
    // A path segment is never empty, `.` or `..` (an URL loses those): a path parameter's value is some other string.
    const generated = validArbitrary(parameter.schema, hints, 0, parameter.name);
    const value =
      parameter.in === 'path'
        ? generated.filter((item) => !['', '.', '..'].includes(String(toWire(item))))
        : generated;
    model[parameter.name] = parameter.required
      ? value
      : fc.option(value, { nil: undefined, freq: 2 });
  }
  return fc.record(model).map((values) => split(operation, values));
}

/** Header values fetch can send (visible ASCII); the oracle judges what is left. */
function headerValue(value: unknown): string {
  return String(toWire(value))
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
}

function split(operation: Operation, values: Record<string, unknown>): Parts {
  const parts: Parts = { pathParameters: {}, query: {}, headers: {} };
  for (const parameter of operation.parameters) {
    const value = values[parameter.name];
    // A query or a header cannot say null: a null parameter is left out.
    if (value === undefined || value === null) continue;
    if (parameter.in === 'path') parts.pathParameters[parameter.name] = String(toWire(value));
    else if (parameter.in === 'header') parts.headers[parameter.name] = headerValue(value);
    else parts.query[parameter.name] = toWire(value);
  }
  return parts;
}

function bodyOf(mediaType: string, value: unknown): FuzzBody {
  if (mediaType !== FORM_TYPE) return { kind: 'json', value };
  const fields =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  // A form cannot say null: a null field is left out.
  return {
    kind: 'form',
    fields: Object.fromEntries(
      Object.entries(fields)
        .filter(([, item]) => item !== null)
        .map(([name, item]) => [name, toWire(item)]),
    ),
  };
}

/** A valid body of each documented media type (or none, for operations without one). */
function validBodies(operation: Operation, hints: Hints): fc.Arbitrary<FuzzBody> {
  if (operation.bodies.size === 0) return fc.constant({ kind: 'none' });
  return fc.oneof(
    ...[...operation.bodies].map(([mediaType, schema]) =>
      validArbitrary(schema, hints).map((value) => bodyOf(mediaType, value)),
    ),
  );
}

export function validRequests(
  operation: Operation,
  profile: OperationProfile,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      parts: parameterValues(operation, profile.hints),
      body: validBodies(operation, profile.hints),
      key: profile.key,
    })
    .map(
      ({ parts, body, key }) =>
        new FuzzRequest({ operation, ...parts, key, body, mutation: 'valid' }),
    );
}

interface Change {
  parts?: Parts;
  body?: FuzzBody;
  key?: KeyKind;
  mutation: string;
}

// Not '.' or '..': fetch resolves those away (the raw-socket part sends them).
const WEIRD_PATH_VALUES = [
  '',
  ' ',
  '%',
  'a/b',
  '\u0000',
  'é',
  '<script>',
  "'; DROP TABLE api_keys; --",
  'x'.repeat(2000),
  '00000000-0000-0000-0000-000000000000',
];

function brokenParameter(
  operation: Operation,
  parameter: Parameter,
  hints: Hints,
): fc.Arbitrary<Change> {
  const values =
    brokenArbitrary(parameter.schema, { hints, strings: true, heavy: false }) ??
    fc.constant<Broken>({ value: '', mutation: 'empty' });
  const broken: fc.Arbitrary<Broken>[] = [values];
  if (parameter.in === 'path')
    broken.push(
      fc
        .constantFrom(...WEIRD_PATH_VALUES)
        .map((value) => ({ value, mutation: 'odd path segment' })),
    );
  if (parameter.in === 'query')
    broken.push(fc.constant({ value: ['1', 'fuzz'], mutation: 'sent twice' }));
  const others = parameterValues(operation, hints);
  const options: fc.Arbitrary<Change>[] = [
    fc.tuple(others, fc.oneof(...broken)).map(([parts, { value, mutation }]) => {
      const values = {
        ...parts.pathParameters,
        ...parts.query,
        ...parts.headers,
        [parameter.name]: value,
      };
      return {
        parts: split(operation, values),
        mutation: `${mutation} in ${parameter.in} parameter ${parameter.name}`,
      };
    }),
  ];
  if (parameter.required && parameter.in !== 'path') {
    options.push(
      others.map((parts) => {
        delete parts.query[parameter.name];
        delete parts.headers[parameter.name];
        return { parts, mutation: `missing required ${parameter.in} parameter ${parameter.name}` };
      }),
    );
  }
  return fc.oneof(...options);
}

function raw(
  bytes: string | Uint8Array,
  contentType: string | undefined,
  label: string,
  accepted: boolean,
): FuzzBody {
  return {
    kind: 'raw',
    bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
    contentType,
    label,
    accepted,
  };
}

const INVALID_JSON = [
  '{',
  '{"model": }',
  '[1,2',
  'nul',
  "{'model':'x'}",
  '{"a":1}garbage',
  '{"a":1,}',
  '{"a":NaN}',
  '\u0000',
  '{"a":"\\x"}',
  '"unterminated',
  '   ',
  '{"a":1}{"b":2}',
  '\uFEFF{}',
];
const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'garbage',
  'application/jsonx',
  'text/json',
  'multipart/form-data',
];
// Invalid UTF-8: a stray continuation byte, a truncated sequence, an overlong '/', an encoded surrogate, bytes never valid.
const BAD_UTF8 = [
  [0x80],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xff, 0xfe],
  [0xf4, 0x90, 0x80, 0x80],
];

/** Body-level breaks of a JSON operation, around a valid body. */
function brokenJsonBodies(
  operation: Operation,
  valid: fc.Arbitrary<unknown>,
): fc.Arbitrary<Change>[] {
  const accepts = (value: unknown): boolean => bodyAccepted(operation, JSON_TYPE, value);
  const documented = (type: string): boolean => operation.bodies.has(type.split(';')[0]!.trim());
  return [
    fc.constantFrom(...INVALID_JSON).map((text) => ({
      body: raw(text, JSON_TYPE, 'invalid JSON', false),
      mutation: 'invalid JSON',
    })),
    fc.constant({
      body: raw('', JSON_TYPE, 'empty', !operation.bodyRequired),
      mutation: 'empty JSON body',
    }),
    fc.constantFrom('[]', '"text"', '1', 'null', 'true', '[{}]').map((text) => ({
      body: raw(text, JSON_TYPE, 'JSON root', accepts(JSON.parse(text))),
      mutation: `JSON root ${text}`,
    })),
    fc.tuple(valid, fc.constantFrom(...WRONG_CONTENT_TYPES)).map(([value, type]) => ({
      body: raw(serialize(value), type, 'JSON text', documented(type) && type.includes(JSON_TYPE)),
      mutation: `content type ${type}`,
    })),
    valid.map((value) => ({
      body: raw(serialize(value), undefined, 'JSON text', false),
      mutation: 'no content type',
    })),
    fc.tuple(valid, fc.constantFrom(...BAD_UTF8)).map(([value, bytes]) => {
      const text = Buffer.from(serialize(value));
      const at = text.indexOf('":"') + 3;
      // Where the bytes land in a string, a decoder may read them as U+FFFD and the body stays valid: not certain.
      const body =
        at > 2
          ? Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at)])
          : Buffer.concat([Buffer.from(bytes), text]);
      return {
        body: raw(body, JSON_TYPE, 'invalid UTF-8', at > 2),
        mutation: `invalid UTF-8 ${Buffer.from(bytes).toString('hex')}`,
      };
    }),
    valid.map((value) => {
      const text = serialize(value);
      const polluted =
        text.startsWith('{') && text !== '{}'
          ? `{"__proto__":{"polluted":true},${text.slice(1)}`
          : '{"__proto__":{"polluted":true}}';
      return { body: raw(polluted, JSON_TYPE, '__proto__ key', false), mutation: '__proto__ key' };
    }),
  ];
}

/** Body-level breaks of a multipart operation, around a valid form. */
function brokenFormBodies(
  operation: Operation,
  valid: fc.Arbitrary<unknown>,
): fc.Arbitrary<Change>[] {
  const form = valid
    .map((value) => bodyOf(FORM_TYPE, value))
    .map((body) => (body.kind === 'form' ? body.fields : {}));
  const boundary = 'fuzzboundary7MA4YWxkTrZu0gW';
  const out: fc.Arbitrary<Change>[] = [
    fc.tuple(form, fc.double({ min: 0, max: 1, noNaN: true })).map(([fields, share]) => {
      const bytes = multipartBytes(fields, boundary);
      // Anywhere before the close delimiter `--boundary--` is complete (what follows it is an optional epilogue).
      const cut = Math.floor((bytes.lastIndexOf(`--${boundary}--`) + boundary.length + 3) * share);
      return {
        body: raw(
          bytes.subarray(0, cut),
          `${FORM_TYPE}; boundary=${boundary}`,
          'truncated multipart',
          false,
        ),
        mutation: `multipart cut at ${cut} of ${bytes.length} bytes`,
      };
    }),
    form.map((fields) => ({
      body: raw(multipartBytes(fields, boundary), FORM_TYPE, 'multipart', false),
      mutation: 'multipart without a boundary',
    })),
    form.map((fields) => ({
      body: raw(
        multipartBytes(fields, boundary),
        `${FORM_TYPE}; boundary=other`,
        'multipart',
        false,
      ),
      mutation: 'multipart with the wrong boundary',
    })),
    fc.constant({
      body: raw('', `${FORM_TYPE}; boundary=${boundary}`, 'empty', false),
      mutation: 'empty multipart body',
    }),
    fc
      .constantFrom(
        'garbage',
        `--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--\r\n`,
        `--${boundary}--\r\n`,
      )
      .map((text) => ({
        body: raw(text, `${FORM_TYPE}; boundary=${boundary}`, 'malformed multipart', false),
        mutation: 'malformed multipart',
      })),
  ];
  if (!operation.bodies.has(JSON_TYPE)) {
    out.push(
      valid.map((value) => ({
        body: raw(serialize(value), JSON_TYPE, 'JSON text', false),
        mutation: 'JSON to a multipart-only operation',
      })),
    );
  }
  return out;
}

function brokenKeys(profile: OperationProfile): fc.Arbitrary<Change> | undefined {
  if (!profile.keyRequired) return undefined;
  const kinds: KeyKind[] = ['none', 'bad', ...(profile.adminOnly ? ['inference' as const] : [])];
  return fc.constantFrom(...kinds).map((key) => ({ key, mutation: `${key} key` }));
}

/** Broken requests: one change to an otherwise valid request. `heavy`: only 2 MB strings and 10,000-level nesting. */
export function brokenRequests(
  operation: Operation,
  profile: OperationProfile,
  heavy: boolean,
): fc.Arbitrary<FuzzRequest> {
  const hints = profile.brokenHints ?? profile.hints;
  const changes: fc.Arbitrary<Change>[] = [];
  for (const [mediaType, schema] of operation.bodies) {
    const strings = mediaType === FORM_TYPE;
    const broken = brokenArbitrary(schema, { hints, strings, heavy });
    if (broken !== undefined)
      changes.push(
        broken.map(({ value, mutation }) => ({
          body: bodyOf(mediaType, value),
          mutation: `${mutation} (${mediaType})`,
        })),
      );
    const valid = validArbitrary(schema, hints);
    if (heavy) {
      changes.push(
        fc
          .constantFrom<[unknown, string]>(
            [new DeepValue(DEEP_LEVELS, 'array'), 'array'],
            [new DeepValue(DEEP_LEVELS, 'object'), 'object'],
          )
          .map(([value, kind]) => ({
            body: raw(
              serialize(value),
              strings ? `${FORM_TYPE}; boundary=x` : JSON_TYPE,
              `body of ${kind}s nested ${DEEP_LEVELS} deep`,
              false,
            ),
            mutation: `body nested ${DEEP_LEVELS} deep`,
          })),
      );
      changes.push(
        fc.constant({
          body: raw(
            Buffer.alloc(HUGE_STRING_BYTES, 'a'),
            mediaType === FORM_TYPE ? `${FORM_TYPE}; boundary=x` : JSON_TYPE,
            '2 MB of "a"',
            false,
          ),
          mutation: '2 MB body of junk',
        }),
      );
    } else {
      changes.push(
        ...(strings ? brokenFormBodies(operation, valid) : brokenJsonBodies(operation, valid)),
      );
    }
  }
  if (!heavy) {
    for (const parameter of operation.parameters)
      changes.push(brokenParameter(operation, parameter, hints));
    const keys = brokenKeys(profile);
    if (keys !== undefined) changes.push(keys);
    if (operation.bodies.size === 0 && operation.method !== 'GET') {
      changes.push(
        fc.constant({
          body: raw('{"unexpected":"body"}', JSON_TYPE, 'a body nobody asked for', true),
          mutation: 'unexpected body',
        }),
      );
    }
  } else if (operation.bodies.size === 0) {
    changes.push(
      ...operation.parameters
        .filter((parameter) => parameter.in !== 'header')
        .map((parameter) =>
          fc.constant<Change>({
            parts:
              parameter.in === 'path'
                ? { pathParameters: { [parameter.name]: 'p'.repeat(6000) }, query: {}, headers: {} }
                : {
                    pathParameters: {},
                    query: { [parameter.name]: 'q'.repeat(6000) },
                    headers: {},
                  },
            mutation: `6,000-character ${parameter.in} parameter ${parameter.name}`,
          }),
        ),
    );
  }
  if (changes.length === 0) return validRequests(operation, profile);
  const base = fc.record({
    parts: parameterValues(operation, hints),
    body: validBodies(operation, hints),
    key: profile.key,
  });
  return fc.tuple(base, fc.oneof(...changes)).map(
    ([request, change]) =>
      new FuzzRequest({
        operation,
        ...(change.parts ?? request.parts),
        body: change.body ?? request.body,
        key: change.key ?? request.key,
        mutation: change.mutation,
      }),
  );
}
