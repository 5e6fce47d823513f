import type { GbnfJsonSchema } from 'node-llama-cpp';
import type { FunctionTool } from '../../schemas/chat.ts';

type Json = Record<string, unknown>;

/**
 * Adapts a client's JSON Schema to the subset node-llama-cpp compiles to a grammar: `anyOf` becomes
 * `oneOf` (the grammar cannot tell them apart anyway), `type: [a, b]` becomes a oneOf of each type,
 * and an object schema without `type` gets `type: "object"`.
 */
export function toGbnfSchema(schema: unknown): GbnfJsonSchema {
  return adapt(schema) as GbnfJsonSchema;
}

function adapt(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(adapt);
  if (typeof schema !== 'object' || schema === null) return schema;
  const source = schema as Json;
  const result: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'anyOf') result.oneOf = adapt(value);
    else if (key === 'properties' || key === '$defs' || key === 'definitions')
      result[key === 'definitions' ? '$defs' : key] = Object.fromEntries(
        Object.entries(value as Json).map(([name, inner]) => [name, adapt(inner)]),
      );
    else if (
      key === 'items' ||
      key === 'additionalProperties' ||
      key === 'oneOf' ||
      key === 'prefixItems'
    )
      result[key] = adapt(value);
    else result[key] = value;
  }
  if (Array.isArray(result.type)) {
    const { type, ...rest } = result;
    return { oneOf: (type as string[]).map((single) => adapt({ ...rest, type: single })) };
  }
  if (result.type === undefined && result.properties !== undefined) result.type = 'object';
  return result;
}

const EMPTY_OBJECT = { type: 'object', properties: {} };

/**
 * The grammar schema that forces a call (tool_choice "required" or a named function). With one candidate
 * the name is known, so only its arguments are generated; with several, one JSON object
 * `{"name": <a tool's name>, "arguments": <that tool's parameters>}`. parseForcedCall reads either back.
 */
export function forcedCallSchema(tools: FunctionTool[]): GbnfJsonSchema {
  if (tools.length === 1)
    return adapt(tools[0]!.function.parameters ?? EMPTY_OBJECT) as GbnfJsonSchema;
  const variants = tools.map((tool) => ({
    type: 'object',
    properties: {
      name: { const: tool.function.name },
      arguments: adapt(tool.function.parameters ?? EMPTY_OBJECT),
    },
    required: ['name', 'arguments'],
  }));
  return { oneOf: variants } as GbnfJsonSchema;
}

/** The call a forced-call grammar produced, or undefined when generation was cut short. */
export function parseForcedCall(
  text: string,
  tools: FunctionTool[],
): { name: string; arguments: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (tools.length === 1)
    return { name: tools[0]!.function.name, arguments: JSON.stringify(value) };
  const call = value as { name?: unknown; arguments?: unknown };
  return typeof call.name === 'string'
    ? { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) }
    : undefined;
}
