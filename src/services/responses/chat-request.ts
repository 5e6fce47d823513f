import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatCompletionRequest } from '../../schemas/chat.ts';
import type { ResponsesRequest, ResponsesTool } from '../../schemas/responses.ts';
import { messagesOf, STATELESS } from './input-messages.ts';

type ChatTool = NonNullable<ChatCompletionRequest['tools']>[number];

function invalid(message: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', { message });
}

type FunctionToolInput = Extract<ResponsesTool, { type: 'function' }>;

/** The schema gives built-in tools any type but "function", so the type tells the two apart. */
function isFunctionTool(tool: ResponsesTool): tool is FunctionToolInput {
  return tool.type === 'function';
}

/**
 * A Responses tool as a chat tool. Function tools, nested (swagger) or flat (OpenAI), become chat's nested
 * shape; web_search and x_search go to the chat service, which serves or refuses them as it does for chat;
 * the other built-ins (code_interpreter, file_search, computer_use_preview, …) need state or sandboxes: 400.
 */
function chatToolOf(tool: ResponsesTool): ChatTool {
  if (tool.type === 'web_search' || tool.type === 'x_search') return { type: tool.type };
  if (!isFunctionTool(tool))
    throw invalid(
      `Tool type '${tool.type}' is not supported: Rialto serves function tools, and web_search / x_search where search is configured`,
    );
  if (tool.function !== undefined) return { type: 'function', function: tool.function };
  const definition: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean;
  } = { name: tool.name ?? '' };
  if (typeof tool.description === 'string') definition.description = tool.description;
  if (tool.parameters !== null && tool.parameters !== undefined)
    definition.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') definition.strict = tool.strict;
  return { type: 'function', function: definition };
}

function toolChoiceOf(
  choice: NonNullable<ResponsesRequest['tool_choice']>,
): NonNullable<ChatCompletionRequest['tool_choice']> {
  if (typeof choice === 'string') return choice;
  return {
    type: 'function',
    function: { name: 'function' in choice ? choice.function.name : choice.name },
  };
}

/**
 * The chat completion a Responses request asks for: input items become messages, max_output_tokens
 * max_completion_tokens, reasoning.effort reasoning_effort, `web_search` enable_web_search "on". Streams
 * always ask for usage, which response.completed carries.
 */
export function chatRequestOf(request: ResponsesRequest): ChatCompletionRequest {
  if (typeof request.previous_response_id === 'string') throw invalid(STATELESS);
  const messages = messagesOf(request.input, request.instructions ?? undefined);
  if (messages.length === 0) throw invalid('input has no items: send at least one message');
  const stream = request.stream === true;
  const chat: ChatCompletionRequest = {
    model: request.model,
    messages,
    n: 1,
    stream,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
  };
  if (stream) chat.stream_options = { include_usage: true };
  if (request.max_output_tokens !== undefined)
    chat.max_completion_tokens = request.max_output_tokens;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  if (request.reasoning?.effort !== undefined) chat.reasoning_effort = request.reasoning.effort;
  if (request.tools !== undefined && request.tools.length > 0)
    chat.tools = request.tools.map(chatToolOf);
  if (request.tool_choice !== undefined) chat.tool_choice = toolChoiceOf(request.tool_choice);
  if (request.fallbacks !== undefined) chat.fallbacks = request.fallbacks;
  const webSearch =
    request.venice_parameters?.enable_web_search ??
    (request.web_search === true ? 'on' : undefined);
  const veniceParameters = {
    ...request.venice_parameters,
    ...(webSearch === undefined ? {} : { enable_web_search: webSearch }),
  };
  if (Object.keys(veniceParameters).length > 0) chat.venice_parameters = veniceParameters;
  return chat;
}
