import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { measureJson } from './json-bounds.ts';
import { JSON_SCHEMA_BOUNDS, jsonSchema } from './json-schema.ts';

const issuesOf = (schema: unknown): { path: PropertyKey[]; message: string }[] => {
  const result = z.object({ schema: jsonSchema }).safeParse({ schema });
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }));
};

test('measureJson walks 200,000 nested arrays without recursion and names the first container too deep', () => {
  const bomb = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
  const { breach } = measureJson(bomb, {
    depth: 3,
    nodes: Number.POSITIVE_INFINITY,
    branching: Number.POSITIVE_INFINITY,
  });
  assert.deepEqual(breach, { bound: 'depth', path: [0, 0, 0] });
  assert.deepEqual(
    measureJson({ a: [1, { b: null }], c: 'x' }, { depth: 3, nodes: 10, branching: 2 }),
    { nodes: 6 },
  );
});

test('measureJson stops at the first object or array with too many entries, and at too many values in all', () => {
  assert.deepEqual(
    measureJson({ a: { b: [1, 2, 3] } }, { depth: 9, nodes: 99, branching: 2 }).breach,
    { bound: 'branching', path: ['a', 'b'] },
  );
  assert.deepEqual(
    measureJson({ a: [1, 2], b: [3, 4] }, { depth: 9, nodes: 5, branching: 9 }).breach,
    { bound: 'nodes', path: [] },
  );
});

test('schemas past the bounds are refused with where they broke them', () => {
  assert.deepEqual(
    issuesOf({
      enum: Array.from({ length: JSON_SCHEMA_BOUNDS.branching + 1 }, (_, index) => index),
    }),
    [
      {
        path: ['schema', 'enum'],
        message: 'An object or array of the JSON schema has more than 1000 entries',
      },
    ],
  );
  const properties = (count: number, offset: number): Record<string, unknown> =>
    Object.fromEntries(
      Array.from({ length: count }, (_, index) => [
        `p${index + offset}`,
        { type: 'string', title: 't' },
      ]),
    );
  const big = {
    type: 'object',
    properties: {
      a: { type: 'object', properties: properties(1000, 0) },
      b: { type: 'object', properties: properties(1000, 1000) },
      c: { type: 'object', properties: properties(1000, 2000) },
      d: { type: 'object', properties: properties(1000, 3000) },
    },
  };
  assert.deepEqual(issuesOf(big), [
    { path: ['schema'], message: 'The JSON schema has more than 10000 values' },
  ]);
});

test('the meta-schema of the draft the schema names judges it; an unknown draft is read as 2020-12', () => {
  assert.deepEqual(
    issuesOf({ type: 'object', properties: { 'a/b~c': { type: 'strin' } } }).map(
      ({ path }) => path,
    )[0],
    ['schema', 'properties', 'a/b~c', 'type'],
  );
  // draft-07's `items` may be an array (tuples); 2020-12 moved tuples to prefixItems.
  const tuple = { type: 'array', items: [{ type: 'string' }, { type: 'number' }] };
  assert.deepEqual(issuesOf({ $schema: 'http://json-schema.org/draft-07/schema#', ...tuple }), []);
  assert.notDeepEqual(
    issuesOf({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...tuple }),
    [],
  );
  assert.notDeepEqual(issuesOf({ $schema: 'http://example.com/my-draft', ...tuple }), []);
  assert.deepEqual(
    issuesOf({
      $schema: 'http://example.com/my-draft',
      type: 'object',
      $defs: { x: { type: 'integer' } },
      properties: { x: { $ref: '#/$defs/x' } },
    }),
    [],
  );
});
