import { z } from 'zod';

// What Rialto writes of POST /chat/completions' answers (swagger: the 200 application/json body, and its stream's
// `chat.completion.chunk`s): a narrow schema of the fields Rialto sets, for types; the swagger checks the wire.

const finishReason = z.enum(['stop', 'length', 'tool_calls']);

/** swagger: cost, the charge in the currency that paid it. */
export const chatCompletionCost = z.object({ usd: z.number(), diem: z.number() });

/** swagger: usage, with the cache and reasoning breakdowns always present. */
export const chatCompletionUsage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int() }),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).nullable(),
});

const searchHit = z.object({
  title: z.string(),
  url: z.string(),
  content: z.string(),
  date: z.string(),
});

/** swagger: venice_parameters, the echo of the parameters that applied, with the web search citations. */
export const veniceParametersEcho = z.object({
  enable_e2ee: z.boolean(),
  enable_web_search: z.enum(['auto', 'off', 'on']),
  enable_web_citations: z.boolean(),
  enable_web_scraping: z.boolean(),
  include_venice_system_prompt: z.boolean(),
  include_search_results_in_stream: z.boolean(),
  return_search_results_as_documents: z.boolean(),
  strip_thinking_response: z.boolean(),
  disable_thinking: z.boolean(),
  character_slug: z.string().optional(),
  web_search_citations: z.array(searchHit),
});

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** swagger: the 200 application/json body, `chat.completion`. */
export const chatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        reasoning_content: z.string().nullable(),
        tool_calls: z.array(toolCall),
      }),
      finish_reason: finishReason,
      logprobs: z.null(),
      stop_reason: z.enum(['stop', 'length']).nullable(),
    }),
  ),
  usage: chatCompletionUsage,
  prompt_logprobs: z.null(),
  cost: chatCompletionCost,
  venice_parameters: veniceParametersEcho,
});

/** A tool call's fragment in a delta: the first carries id, type and name; later ones only arguments. */
const toolCallDelta = z.union([
  z.object({
    index: z.number().int(),
    id: z.string(),
    type: z.literal('function'),
    function: z.object({ name: z.string(), arguments: z.string() }),
  }),
  z.object({ index: z.number().int(), function: z.object({ arguments: z.string() }) }),
]);

/** One choice's delta: the role chunk, text, reasoning, a tool call fragment, or nothing (the finish chunk). */
export const chatCompletionDelta = z.object({
  role: z.literal('assistant').optional(),
  content: z.string().optional(),
  reasoning_content: z.string().optional(),
  tool_calls: z.array(toolCallDelta).optional(),
});

/** A `chat.completion.chunk` of the stream (OpenAI's SSE convention, with Venice's usage, cost and echo). */
export const chatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  venice_parameters: veniceParametersEcho.optional(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: chatCompletionDelta,
      finish_reason: finishReason.nullable(),
      logprobs: z.null(),
    }),
  ),
  usage: chatCompletionUsage.optional(),
  cost: chatCompletionCost.optional(),
});

export type ChatCompletionCost = z.infer<typeof chatCompletionCost>;
export type ChatCompletionUsage = z.infer<typeof chatCompletionUsage>;
export type VeniceParametersEcho = z.infer<typeof veniceParametersEcho>;
export type ChatCompletionResponse = z.infer<typeof chatCompletionResponse>;
export type ChatCompletionDelta = z.infer<typeof chatCompletionDelta>;
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunk>;
