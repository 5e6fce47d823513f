import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { measureJson, type JsonBounds } from './json-bounds.ts';

// A client's JSON Schema (response_format.json_schema.schema, a function tool's parameters) becomes a grammar
// (llama.cpp) or travels to an upstream: it is bounded, then checked against the JSON Schema meta-schema, here at
// the edge, so no engine sees a schema bomb or a schema that is not one (`{"type": "nope"}`).

/**
 * OpenAI's structured outputs allow 10 levels of object nesting (5 before 2025), 5,000 properties and 1,000 enum
 * values; Rialto is more generous. 64 levels of JSON hold 31 objects nested through `properties` (two levels each:
 * `properties`, then the property's schema). node-llama-cpp refuses 512 nested scopes itself, and the llama.cpp
 * process's IPC died on ~2,000 levels. 10,000 values compile to a grammar in about half a second on one core.
 */
export const JSON_SCHEMA_BOUNDS: JsonBounds = { depth: 64, nodes: 10_000, branching: 1_000 };
/** All the schemas of one request (its tools' parameters and its response format) together. */
export const REQUEST_SCHEMA_NODES = 50_000;

const BREACH_MESSAGES: Record<keyof JsonBounds, string> = {
  depth: `The JSON schema nests deeper than ${JSON_SCHEMA_BOUNDS.depth} levels`,
  nodes: `The JSON schema has more than ${JSON_SCHEMA_BOUNDS.nodes} values`,
  branching: `An object or array of the JSON schema has more than ${JSON_SCHEMA_BOUNDS.branching} entries`,
};
const ISSUES_SHOWN = 10;

// Meta-schema validation only: a client's schema is never compiled to code here (ajv's advice for untrusted
// schemas: validate against the meta-schema and bound their size first). Formats are not checked.
const options = { strict: false, validateFormats: false, allErrors: false } as const;
const draft07 = new Ajv(options);
const draft2020 = new Ajv2020(options);
/** A schema declares its draft with `$schema`; draft-06/07 are read as draft-07, anything else as 2020-12. */
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-0[67]\/schema#?$/;

function metaSchemaErrors(schema: Record<string, unknown>): ErrorObject[] {
  const { $schema, ...rest } = schema;
  const ajv = typeof $schema === 'string' && DRAFT_07.test($schema) ? draft07 : draft2020;
  return ajv.validateSchema(rest) === true ? [] : (ajv.errors ?? []);
}

/** `/properties/a~1b` → ['properties', 'a/b'] (RFC 6901). */
function pointerPath(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Values in `schema`, up to just past REQUEST_SCHEMA_NODES (enough to tell that a request has too many). */
export function schemaNodes(schema: unknown): number {
  return measureJson(schema, {
    depth: Number.POSITIVE_INFINITY,
    nodes: REQUEST_SCHEMA_NODES,
    branching: Number.POSITIVE_INFINITY,
  }).nodes;
}

/** A JSON Schema object from a client: within JSON_SCHEMA_BOUNDS and valid against its draft's meta-schema. */
export const jsonSchema = z.record(z.string(), z.unknown()).superRefine((schema, context) => {
  const { breach } = measureJson(schema, JSON_SCHEMA_BOUNDS);
  if (breach !== undefined) {
    context.addIssue({ code: 'custom', path: breach.path, message: BREACH_MESSAGES[breach.bound] });
    return;
  }
  for (const error of metaSchemaErrors(schema).slice(0, ISSUES_SHOWN)) {
    context.addIssue({
      code: 'custom',
      path: pointerPath(error.instancePath),
      message: `Not a valid JSON Schema: ${error.message ?? 'invalid'}`,
    });
  }
});

/** Adds an issue at `path` when the schemas of one request hold more than REQUEST_SCHEMA_NODES values together. */
export function checkRequestSchemas(
  schemas: unknown[],
  context: z.RefinementCtx,
  path: (string | number)[],
): void {
  let total = 0;
  for (const schema of schemas)
    total += schema === undefined || schema === null ? 0 : schemaNodes(schema);
  if (total > REQUEST_SCHEMA_NODES)
    context.addIssue({
      code: 'custom',
      path,
      message: `The request's JSON schemas have more than ${REQUEST_SCHEMA_NODES} values together`,
    });
}
