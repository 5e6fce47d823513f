// Which property names of one of Rialto's response schemas (src/schemas/*-response.ts, as JSON Schema) the
// swagger's schema does not have at the same place: so a renamed or misspelt field cannot drift unseen.

import { getSwagger } from './spec-validator.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolve(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  return componentSchema(name);
}

/** The swagger's component schema of that name. */
export function componentSchema(name: string): Json {
  const components = getSwagger().components;
  const schemas = isObject(components) ? components.schemas : undefined;
  const schema = isObject(schemas) ? schemas[name] : undefined;
  if (!isObject(schema)) throw new Error(`the swagger has no component ${name}`);
  return resolve(schema);
}

/** The swagger's JSON schema of an operation's answer (`application/json`). */
export function operationSchema(method: string, path: string, status = '200'): Json {
  const paths = getSwagger().paths;
  const item = isObject(paths) ? paths[path] : undefined;
  const operation = isObject(item) ? item[method.toLowerCase()] : undefined;
  const responses = isObject(operation) ? operation.responses : undefined;
  const answer = isObject(responses) ? responses[status] : undefined;
  const content = isObject(answer) ? answer.content : undefined;
  const json = isObject(content) ? content['application/json'] : undefined;
  const schema = isObject(json) ? json.schema : undefined;
  if (!isObject(schema)) throw new Error(`the swagger has no JSON ${status} for ${method} ${path}`);
  return resolve(schema);
}

/** A schema and the branches of its anyOf / oneOf / allOf, each resolved. */
function variants(schema: Json): Json[] {
  const branches = [schema.anyOf, schema.oneOf, schema.allOf].flatMap((list) =>
    Array.isArray(list) ? list.filter(isObject) : [],
  );
  return [schema, ...branches.map(resolve).flatMap(variants)];
}

function named(schema: Json, key: string): Json | undefined {
  const properties = schema.properties;
  if (isObject(properties) && isObject(properties[key])) return resolve(properties[key]);
  const required = schema.required;
  return Array.isArray(required) && required.includes(key) ? {} : undefined;
}

/**
 * The paths (`model_spec.pricing`, `output[].content`) of `ours`'s property names that `theirs` lacks where
 * ours has them; a place where the swagger says nothing of the fields (no properties) is not descended into.
 */
export function keysNotInSwagger(ours: Json, theirs: Json, path = ''): string[] {
  const missing: string[] = [];
  const their = variants(theirs);
  for (const branch of variants(ours)) {
    const properties = branch.properties;
    if (isObject(properties) && their.some((variant) => isObject(variant.properties))) {
      for (const [key, value] of Object.entries(properties)) {
        const matches = their
          .map((variant) => named(variant, key))
          .filter((match) => match !== undefined);
        const at = path === '' ? key : `${path}.${key}`;
        if (matches.length === 0) missing.push(at);
        else if (isObject(value)) missing.push(...keysNotInSwagger(value, { anyOf: matches }, at));
      }
    }
    const theirItems = their
      .map((variant) => variant.items)
      .filter(isObject)
      .map(resolve);
    if (isObject(branch.items) && theirItems.length > 0)
      missing.push(...keysNotInSwagger(branch.items, { anyOf: theirItems }, `${path}[]`));
    const theirValues = their
      .map((variant) => variant.additionalProperties)
      .filter(isObject)
      .map(resolve);
    if (isObject(branch.additionalProperties) && theirValues.length > 0) {
      missing.push(
        ...keysNotInSwagger(branch.additionalProperties, { anyOf: theirValues }, `${path}{}`),
      );
    }
  }
  return [...new Set(missing)].sort();
}
