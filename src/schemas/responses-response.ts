import { z } from 'zod';
import { responsesTool, responsesToolChoice } from './responses.ts';

// What Rialto writes of the swagger's ResponsesResponse (POST /responses). OpenAI's fields the swagger leaves
// out are written too, because OpenAI's clients read them: they are marked below.

export const outputText = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.never()),
});

/** swagger: Reasoning Output; `content` (OpenAI's reasoning_text parts) is OpenAI's. */
const reasoningOutput = z.object({
  type: z.literal('reasoning'),
  id: z.string(),
  summary: z.array(z.string()),
  content: z.array(z.object({ type: z.literal('reasoning_text'), text: z.string() })).optional(),
});

/** swagger: Message Output. */
const messageOutput = z.object({
  type: z.literal('message'),
  id: z.string(),
  status: z.enum(['completed', 'in_progress']),
  role: z.literal('assistant'),
  content: z.array(outputText),
});

/** swagger: Function Call Output. */
const functionCallOutput = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: z.enum(['completed', 'in_progress']),
});

export const responseOutputItem = z.discriminatedUnion('type', [
  reasoningOutput,
  messageOutput,
  functionCallOutput,
]);

/** swagger: ResponsesResponse.usage. */
export const responsesUsage = z.object({
  input_tokens: z.number().int(),
  input_tokens_details: z.object({ cached_tokens: z.number().int() }),
  output_tokens: z.number().int(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
  total_tokens: z.number().int(),
});

/** swagger: ResponsesResponse; `status` is never failed or cancelled here (a failure is an error). */
export const responsesResponse = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: z.number().int(),
  model: z.string(),
  status: z.enum(['in_progress', 'completed']),
  output: z.array(responseOutputItem),
  usage: responsesUsage.optional(),
  // Venice's cost of the request, as chat completions carry it.
  cost: z.object({ usd: z.number(), diem: z.number() }).optional(),
  // OpenAI's: why the output stopped short, and the request's settings echoed.
  incomplete_details: z.object({ reason: z.literal('max_output_tokens') }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().int().nullable(),
  parallel_tool_calls: z.boolean(),
  reasoning: z.object({
    effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullable(),
    summary: z.enum(['auto', 'concise', 'detailed']).nullable(),
  }),
  store: z.literal(false),
  temperature: z.number().nullable(),
  tool_choice: responsesToolChoice,
  tools: z.array(responsesTool),
  top_p: z.number().nullable(),
});

export type OutputText = z.infer<typeof outputText>;
export type ResponseOutputItem = z.infer<typeof responseOutputItem>;
export type ResponsesUsage = z.infer<typeof responsesUsage>;
export type ResponsesResponse = z.infer<typeof responsesResponse>;
