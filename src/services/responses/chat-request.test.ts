import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VeniceError } from '../../errors/venice-error.ts';
import { responsesRequest } from '../../schemas/responses.ts';
import { chatRequestOf } from './chat-request.ts';

const chatOf = (body: Record<string, unknown>): ReturnType<typeof chatRequestOf> =>
  chatRequestOf(responsesRequest.parse({ model: 'm', ...body }));

test('an assistant turn written as reasoning, message and function_call items is one assistant message', () => {
  const chat = chatOf({
    instructions: 'Be brief.',
    input: [
      { role: 'system', content: 'You forecast.' },
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Weather?' },
          { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' },
        ],
      },
      { type: 'reasoning', summary: ['Need the tool.'] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' },
      { type: 'function_call', call_id: 'c2', name: 'time', arguments: '{}' },
      {
        type: 'function_call_output',
        call_id: 'c1',
        output: [{ type: 'input_text', text: 'sunny' }],
      },
      { type: 'function_call_output', call_id: 'c2', output: { hour: 9 } },
      { role: 'assistant', content: 'Sunny at 9.' },
    ],
  });
  assert.deepEqual(chat.messages, [
    { role: 'system', content: 'Be brief.\n\nYou forecast.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather?' },
        { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
      ],
    },
    {
      role: 'assistant',
      content: 'Checking.',
      reasoning_content: 'Need the tool.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } },
        { id: 'c2', type: 'function', function: { name: 'time', arguments: '{}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
    { role: 'tool', tool_call_id: 'c2', content: '{"hour":9}' },
    { role: 'assistant', content: 'Sunny at 9.' },
  ]);
});

test('request fields map to their chat counterparts; streams ask for usage', () => {
  const chat = chatOf({
    input: 'Hi',
    stream: true,
    max_output_tokens: 5,
    temperature: 0.5,
    top_p: 0.9,
    reasoning: { effort: 'low', summary: 'auto' },
    tools: [
      {
        type: 'function',
        name: 'f',
        parameters: { type: 'object' },
        strict: null,
        description: null,
      },
    ],
    tool_choice: { type: 'function', name: 'f' },
    web_search: true,
    parallel_tool_calls: false,
  });
  assert.deepEqual(chat, {
    model: 'm',
    messages: [{ role: 'user', content: 'Hi' }],
    n: 1,
    stream: true,
    parallel_tool_calls: false,
    stream_options: { include_usage: true },
    max_completion_tokens: 5,
    temperature: 0.5,
    top_p: 0.9,
    reasoning_effort: 'low',
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    tool_choice: { type: 'function', function: { name: 'f' } },
    venice_parameters: { enable_web_search: 'on' },
  });
});

test('what needs stored state or a sandbox is refused', () => {
  for (const body of [
    { input: [{ type: 'item_reference', id: 'msg_1' }] },
    { input: 'Hi', previous_response_id: 'resp_1' },
    { input: 'Hi', tools: [{ type: 'file_search', vector_store_ids: ['v'] }] },
    { input: [] },
    {
      input: [
        {
          role: 'system',
          content: [{ type: 'input_image', image_url: { url: 'https://x/y.png' } }],
        },
      ],
    },
  ]) {
    assert.throws(
      () => chatOf(body),
      (error: unknown) => error instanceof VeniceError && error.code === 'INVALID_REQUEST',
      JSON.stringify(body),
    );
  }
});
