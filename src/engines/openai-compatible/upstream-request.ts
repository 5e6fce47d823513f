import type { EngineChatRequest } from '../engine.ts';

/**
 * The OpenAI-format body sent upstream. Non-OpenAI sampling fields (top_k, min_p, repetition_penalty)
 * are sent only when the client set them, since strict upstreams (OpenAI itself) refuse unknown fields.
 * Streams always ask for usage (`stream_options.include_usage`) so every request can be accounted for.
 */
export function upstreamChatBody(
  request: EngineChatRequest,
  stream: boolean,
  disableThinking: 'strip' | 'chat_template_kwargs' | 'reasoning_effort' = 'strip',
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...request.passThrough,
    model: request.model,
    messages: request.messages,
    stream,
  };
  if (request.disableThinking === true && disableThinking === 'chat_template_kwargs')
    body.chat_template_kwargs = { enable_thinking: false };
  if (stream) body.stream_options = { include_usage: true };
  const fields: Record<string, unknown> = {
    max_tokens: request.maxTokens,
    n: request.n === 1 ? undefined : request.n,
    temperature: request.temperature,
    top_p: request.topP,
    top_k: request.topK,
    min_p: request.minP,
    frequency_penalty: request.frequencyPenalty,
    presence_penalty: request.presencePenalty,
    repetition_penalty: request.repetitionPenalty,
    seed: request.seed,
    stop: request.stop,
    reasoning_effort:
      request.disableThinking === true && disableThinking === 'reasoning_effort'
        ? 'none'
        : request.reasoningEffort,
    logprobs: request.logprobs,
    top_logprobs: request.topLogprobs,
  };
  if (request.tools !== undefined) {
    fields.tools = request.tools;
    fields.parallel_tool_calls = request.parallelToolCalls;
    const choice = request.toolChoice;
    fields.tool_choice =
      choice === undefined || typeof choice === 'string'
        ? choice
        : { type: 'function', function: { name: choice.name } };
  }
  const format = request.responseFormat;
  if (format !== undefined) {
    fields.response_format =
      format.type === 'json_object'
        ? format
        : {
            type: 'json_schema',
            json_schema: { name: format.name ?? 'response', schema: format.schema, strict: true },
          };
  }
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) body[key] = value;
  return body;
}
