// rialto-test: sqlite-only
// Issue #15.3 and #15.10b: JSON schema bombs. A response_format schema nested 1,000 objects deep killed the model's
// llama.cpp process (and every request in it), 3,000 deep answered 500 and left a sequence counted busy for good,
// `{"type": "nope"}` was answered 200, and 200,000 nested arrays in a tool answered 500. Each is a 400 with Venice's
// validation details now, before any engine sees it, and the model goes on serving from the same process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import type { IsolatedLlamaCppEngine } from '../../src/engines/llama-cpp/isolated-llama-cpp-engine.ts';

const HELLO = {
  model: 'tiny',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_tokens: 4,
  temperature: 0,
};

/** `levels` objects, each the only property of the one around it, written as text (JSON.stringify recurses). */
function nestedSchemaText(levels: number): string {
  return (
    '{"type":"object","properties":{"a":'.repeat(levels) +
    '{"type":"string"}' +
    '},"required":["a"]}'.repeat(levels)
  );
}

/** HELLO with `field` set to the JSON text `value`. */
function helloWith(field: string, value: string): string {
  return `${JSON.stringify(HELLO).slice(0, -1)},"${field}":${value}}`;
}

function responseFormatText(schema: string): string {
  return `{"type":"json_schema","json_schema":{"name":"bomb","schema":${schema}}}`;
}

interface Issue {
  code: string;
  path: (string | number)[];
  message: string;
}

describe('hostile JSON schemas', () => {
  let rialto: TestRialto;

  before(async () => {
    rialto = await startRialto({
      systemPrompt: '',
      models: [
        {
          id: 'tiny',
          engine: {
            kind: 'llama-cpp',
            path: await tinyModelPath(),
            threads: 1,
            sequences: 4,
            isolation: 'process',
          },
          contextLength: 2048,
        },
      ],
    });
  });
  after(async () => rialto?.close());

  const engine = (): IsolatedLlamaCppEngine =>
    rialto.registry.entries[0]!.engine as IsolatedLlamaCppEngine;

  async function post(
    path: '/chat/completions' | '/responses',
    body: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A 400 with Venice's validation body (details and issues); its issues. */
  async function assertInvalid(
    path: '/chat/completions' | '/responses',
    body: string,
  ): Promise<Issue[]> {
    const answer = await post(path, body);
    assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 500));
    validateResponse({ method: 'POST', path, status: 400, body: answer.body });
    assert.equal(answer.body.error, 'Invalid request parameters');
    assert.ok(typeof answer.body.details === 'object');
    return answer.body.issues as Issue[];
  }

  async function activeMetric(): Promise<string[]> {
    const text = await (await fetch(`${rialto.origin}/metrics`)).text();
    return text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('rialto_engine_active') || line.startsWith('rialto_engine_queued'),
      );
  }

  async function assertStillServing(pid: number | undefined): Promise<void> {
    const next = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 4,
      temperature: 0,
    });
    assert.ok((next.usage?.completion_tokens ?? 0) > 0);
    assert.equal(engine().pid, pid, 'the same llama.cpp process serves the model');
    assert.deepEqual(await activeMetric(), [
      'rialto_engine_active{model="tiny"} 0',
      'rialto_engine_queued{model="tiny"} 0',
    ]);
  }

  test('a response_format schema 1,000 objects deep is a 400, and the model keeps answering from the same process', async () => {
    const pid = engine().pid;
    const issues = await assertInvalid(
      '/chat/completions',
      helloWith('response_format', responseFormatText(nestedSchemaText(1_000))),
    );
    assert.match(issues[0]!.message, /nests deeper than/);
    await assertStillServing(pid);
  });

  test('a response_format schema 3,000 objects deep is a 400, and rialto_engine_active is back at 0', async () => {
    const pid = engine().pid;
    await assertInvalid(
      '/chat/completions',
      helloWith('response_format', responseFormatText(nestedSchemaText(3_000))),
    );
    await assertStillServing(pid);
  });

  test("a schema within the body's depth but past the schema bounds is a 400 that says where", async () => {
    const issues = await assertInvalid(
      '/chat/completions',
      helloWith('response_format', responseFormatText(nestedSchemaText(40))),
    );
    assert.equal(issues[0]!.message, 'The JSON schema nests deeper than 64 levels');
    assert.deepEqual(issues[0]!.path.slice(0, 5), [
      'response_format',
      'json_schema',
      'schema',
      'properties',
      'a',
    ]);
    const wide = JSON.stringify({
      ...HELLO,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'wide',
          schema: { enum: Array.from({ length: 1_001 }, (_, index) => index) },
        },
      },
    });
    assert.deepEqual(
      (await assertInvalid('/chat/completions', wide)).map(({ path }) => path),
      [['response_format', 'json_schema', 'schema', 'enum']],
    );
    // Seven tools of 8,003 values each: each within the bounds, together past what one request may carry.
    const item = {
      type: 'array',
      description: 'd',
      items: { type: 'string', description: 'x', title: 'y', default: 'z' },
    };
    const big = {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: 1_000 }, (_, index) => [`p${index}`, item]),
      ),
    };
    const tools = Array.from({ length: 7 }, (_, index) => ({
      type: 'function',
      function: { name: `f${index}`, parameters: big },
    }));
    const together = await assertInvalid('/chat/completions', JSON.stringify({ ...HELLO, tools }));
    assert.match(together[0]!.message, /JSON schemas have more than 50000 values together/);
  });

  test('a schema that is not a JSON Schema ({"type": "nope"}) is a 400 on chat and responses, in response_format and in tools', async () => {
    const format = await assertInvalid(
      '/chat/completions',
      JSON.stringify({
        ...HELLO,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { type: 'nope' } },
        },
      }),
    );
    assert.deepEqual(format[0]!.path, ['response_format', 'json_schema', 'schema', 'type']);
    assert.match(format[0]!.message, /^Not a valid JSON Schema: /);
    const parameters = { type: 'object', properties: { city: { type: 'string', minLength: -1 } } };
    const tool = await assertInvalid(
      '/chat/completions',
      JSON.stringify({
        ...HELLO,
        tools: [{ type: 'function', function: { name: 'weather', parameters } }],
      }),
    );
    assert.deepEqual(tool[0]!.path, [
      'tools',
      0,
      'function',
      'parameters',
      'properties',
      'city',
      'minLength',
    ]);
    const flat = await assertInvalid(
      '/responses',
      JSON.stringify({
        model: 'tiny',
        input: 'hi',
        tools: [{ type: 'function', name: 'weather', parameters: { type: 'nope' } }],
      }),
    );
    assert.deepEqual(flat[0]!.path, ['tools', 0, 'parameters', 'type']);
    const nested = await assertInvalid(
      '/responses',
      JSON.stringify({
        model: 'tiny',
        input: 'hi',
        tools: [
          { type: 'function', function: { name: 'weather', parameters: { required: 'city' } } },
        ],
      }),
    );
    assert.deepEqual(nested[0]!.path, ['tools', 0, 'function', 'parameters', 'required']);
  });

  test('a valid schema still constrains the answer, whatever draft it names', async () => {
    for (const $schema of [
      undefined,
      'http://json-schema.org/draft-07/schema#',
      'https://json-schema.org/draft/2020-12/schema',
    ]) {
      const schema = {
        ...($schema === undefined ? {} : { $schema }),
        type: 'object',
        properties: { answer: { type: 'integer' } },
        required: ['answer'],
        additionalProperties: false,
      };
      const completion = await rialto.client.chat.completions.create({
        ...HELLO,
        max_tokens: 12,
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
      });
      assert.match(completion.choices[0]!.message.content ?? '', /^\{ ?"answer/);
    }
  });

  test("200,000 nested arrays in tools (a tool's parameters, or the tools themselves) are a 400, not a 500", async () => {
    const arrays = '['.repeat(200_000) + ']'.repeat(200_000);
    const pid = engine().pid;
    for (const tools of [
      `[{"type":"function","function":{"name":"f","parameters":{"a":${arrays}}}}]`,
      arrays,
    ]) {
      const issues = await assertInvalid('/chat/completions', helloWith('tools', tools));
      assert.deepEqual(issues, [
        { code: 'custom', path: [], message: 'The JSON body nests deeper than 128 levels' },
      ]);
    }
    const responses = await assertInvalid(
      '/responses',
      `{"model":"tiny","input":"hi","tools":[{"type":"function","name":"f","parameters":{"a":${arrays}}}]}`,
    );
    assert.equal(responses[0]!.message, 'The JSON body nests deeper than 128 levels');
    await assertStillServing(pid);
  });
});
