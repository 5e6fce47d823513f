// The operations of swagger.yaml, in the form the fuzzer needs them: parameters and request bodies with every
// $ref resolved, the documented statuses, and who may call (public, any key, or nobody's key at all).
import { getSwagger } from '../support/spec/spec-validator.ts';

export type Schema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /chat/completions`: how tests, FUZZ_OPS and counterexamples name it. */
  id: string;
  method: string;
  /** The swagger template, e.g. `/characters/{slug}`. */
  template: string;
  parameters: Parameter[];
  /** The request body's schema per media type (application/json, multipart/form-data). */
  bodies: Map<string, Schema>;
  bodyRequired: boolean;
  /** Status keys of `responses` (e.g. '200', '400'). */
  statuses: Set<string>;
  /** `security: []` or `[{}]` alone: nobody needs a key; `[{}, BearerAuth]`: a key is optional. */
  auth: 'none' | 'optional' | 'bearer' | 'wallet';
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows `$ref: '#/components/…'` (repeatedly) to the object it names. */
export function resolveRef(value: unknown): Schema {
  let current: unknown = value;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`swagger: $ref cycle at ${current.$ref}`);
    let target: unknown = getSwagger();
    for (const part of current.$ref.replace(/^#\//, '').split('/'))
      target = isObject(target) ? target[part] : undefined;
    current = target;
  }
  if (!isObject(current)) throw new Error(`swagger: ${JSON.stringify(value)} is not an object`);
  return current;
}

function authOf(security: unknown): Operation['auth'] {
  const global = getSwagger().security;
  const list = Array.isArray(security) ? security : Array.isArray(global) ? global : [];
  const schemes = list.filter(isObject).map((entry) => Object.keys(entry));
  if (schemes.length === 0 || schemes.every((names) => names.length === 0)) return 'none';
  if (schemes.some((names) => names.length === 0)) return 'optional';
  return schemes.some((names) => names.includes('BearerAuth')) ? 'bearer' : 'wallet';
}

let cached: Operation[] | undefined;

/** Every operation of the swagger, in document order. */
export function listOperations(): Operation[] {
  if (cached !== undefined) return cached;
  const paths = getSwagger().paths;
  if (!isObject(paths)) throw new Error('swagger: no paths');
  cached = [];
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, raw] of Object.entries(item)) {
      if (!isObject(raw) || !isObject(raw.responses)) continue;
      const parameters = (Array.isArray(raw.parameters) ? raw.parameters : []).map(resolveRef).map(
        (parameter): Parameter => ({
          name: String(parameter.name),
          in: parameter.in as Parameter['in'],
          required: parameter.required === true || parameter.in === 'path',
          schema: isObject(parameter.schema) ? parameter.schema : {},
        }),
      );
      const requestBody = raw.requestBody === undefined ? undefined : resolveRef(raw.requestBody);
      const bodies = new Map<string, Schema>();
      const content = isObject(requestBody?.content) ? requestBody.content : {};
      for (const [mediaType, media] of Object.entries(content))
        bodies.set(mediaType, isObject(media) && isObject(media.schema) ? media.schema : {});
      cached.push({
        id: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        parameters,
        bodies,
        bodyRequired: requestBody?.required === true,
        statuses: new Set(Object.keys(raw.responses)),
        auth: authOf(raw.security),
      });
    }
  }
  return cached;
}
