import { z } from 'zod';
import { invalidRequest } from '../errors/validation.ts';
import type { VeniceError } from '../errors/venice-error.ts';
import { measureJson } from '../schemas/json-bounds.ts';

/**
 * How deep a JSON body may nest. The deepest bodies of the API are tools' JSON schemas (64 levels of their own,
 * schemas/json-schema.ts) a few levels down the request. JSON.parse is iterative, but JSON.stringify, structured
 * clone (the llama.cpp process's IPC) and Zod recurse: a body 200,000 arrays deep would overflow their stacks.
 */
export const JSON_BODY_DEPTH = 128;

/** The 400 for a parsed body nested deeper than JSON_BODY_DEPTH (found without recursion); undefined when within it. */
export function jsonBodyTooDeep(body: unknown): VeniceError | undefined {
  const { breach } = measureJson(body, {
    depth: JSON_BODY_DEPTH,
    nodes: Number.POSITIVE_INFINITY,
    branching: Number.POSITIVE_INFINITY,
  });
  if (breach === undefined) return undefined;
  return invalidRequest(
    new z.ZodError([
      {
        code: 'custom',
        path: [],
        message: `The JSON body nests deeper than ${JSON_BODY_DEPTH} levels`,
        input: body,
      },
    ]),
  );
}
