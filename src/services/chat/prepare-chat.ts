import type { ModelConfig } from '../../config.ts';
import type { EngineChatRequest } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type {
  ChatCompletionRequest,
  ChatMessage,
  FunctionTool,
  VeniceParameters,
} from '../../schemas/chat.ts';
import { applyMediaRules } from './media-rules.ts';

/** The venice_parameters echo: the nine required fields of the response schema, plus the slug. */
export interface EffectiveVeniceParameters {
  enable_e2ee: boolean;
  enable_web_search: 'auto' | 'off' | 'on';
  enable_web_citations: boolean;
  enable_web_scraping: boolean;
  include_venice_system_prompt: boolean;
  include_search_results_in_stream: boolean;
  return_search_results_as_documents: boolean;
  strip_thinking_response: boolean;
  disable_thinking: boolean;
  character_slug?: string;
}

export interface PreparedChat {
  engineRequest: EngineChatRequest;
  veniceParameters: EffectiveVeniceParameters;
  /** Drop reasoning from the answer (strip_thinking_response or disable_thinking). */
  stripThinking: boolean;
  stream: boolean;
  includeUsage: boolean;
}

const NO_X_SEARCH =
  "X search (enable_x_search, the x_search tool) is not available on this server: it needs xAI's own search on Grok models.";

/**
 * swagger defaults of ChatCompletionRequest.venice_parameters; the body wins over the model suffix. A built-in
 * `{type: "web_search"}` tool turns web search "on" (INVENTORY §2.12, triggers) unless enable_web_search was set
 * in the body or the suffix, which then wins; the echo shows the mode that applies.
 */
export function effectiveParameters(
  body: VeniceParameters | undefined,
  suffix: VeniceParameters,
  tools: ChatCompletionRequest['tools'] = undefined,
): EffectiveVeniceParameters {
  const merged = { ...suffix, ...body };
  const webSearchTool = (tools ?? []).some((tool) => tool.type === 'web_search');
  const effective: EffectiveVeniceParameters = {
    enable_e2ee: merged.enable_e2ee ?? true,
    enable_web_search: merged.enable_web_search ?? (webSearchTool ? 'on' : 'off'),
    enable_web_citations: merged.enable_web_citations ?? false,
    enable_web_scraping: merged.enable_web_scraping ?? false,
    include_venice_system_prompt: merged.include_venice_system_prompt ?? true,
    include_search_results_in_stream: merged.include_search_results_in_stream ?? false,
    return_search_results_as_documents: merged.return_search_results_as_documents ?? false,
    strip_thinking_response: merged.strip_thinking_response ?? false,
    disable_thinking: merged.disable_thinking ?? false,
  };
  if (merged.character_slug !== undefined) effective.character_slug = merged.character_slug;
  if (merged.enable_x_search === true || (tools ?? []).some((tool) => tool.type === 'x_search'))
    throw invalid(NO_X_SEARCH);
  return effective;
}

function invalid(message: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', { message });
}

/**
 * Puts Rialto's system text first, the caller's system prompt appended to it (INVENTORY §2.3), as one system message
 * (some chat templates take only one, at the start). Rialto's text is the operator's prompt, then a character's persona.
 */
function withSystemPrompt(messages: ChatMessage[], prompts: string[]): ChatMessage[] {
  const systemPrompt = prompts.filter((prompt) => prompt !== '').join('\n\n');
  if (systemPrompt === '') return messages;
  const [first, ...rest] = messages;
  if (first !== undefined && (first.role === 'system' || first.role === 'developer')) {
    const callerText =
      typeof first.content === 'string'
        ? first.content
        : first.content.map((part) => part.text).join('\n');
    return [{ role: 'system', content: `${systemPrompt}\n\n${callerText}` }, ...rest];
  }
  return [{ role: 'system', content: systemPrompt }, ...messages];
}

function toolChoiceOf(
  request: ChatCompletionRequest,
  tools: FunctionTool[],
): EngineChatRequest['toolChoice'] {
  const choice = request.tool_choice;
  if (choice === undefined) return undefined;
  if (typeof choice === 'string') {
    if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
    throw invalid(
      `tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":…}}`,
    );
  }
  if (!tools.some((tool) => tool.function.name === choice.function.name))
    throw invalid(`tool_choice names function '${choice.function.name}', which is not in tools`);
  return { name: choice.function.name };
}

function reasoningEffortOf(
  request: ChatCompletionRequest,
  config: ModelConfig,
): string | undefined {
  // "reasoning_effort takes precedence over reasoning.effort if both are provided" (swagger).
  const effort = request.reasoning_effort ?? request.reasoning?.effort;
  if (effort === undefined) return undefined;
  const { supportsReasoningEffort, reasoningEffortOptions } = config.capabilities;
  if (!supportsReasoningEffort)
    throw invalid(`Model ${config.id} does not support reasoning effort`);
  if (reasoningEffortOptions !== undefined && !reasoningEffortOptions.includes(effort as never)) {
    throw invalid(
      `reasoning effort '${effort}' is not supported by ${config.id}; use one of ${reasoningEffortOptions.join(', ')}`,
    );
  }
  return effort;
}

/** max_completion_tokens wins over max_tokens; values ≤ 0 are ignored; the model's cap applies. */
function maxTokensOf(request: ChatCompletionRequest, config: ModelConfig): number | undefined {
  const asked =
    [request.max_completion_tokens, request.max_tokens].find(
      (value) => typeof value === 'number' && value > 0,
    ) ?? undefined;
  const cap = config.maxCompletionTokens;
  if (asked === undefined) return cap;
  return cap === undefined ? asked : Math.min(asked, cap);
}

/**
 * Validates a chat request against its model's capabilities and builds the engine request.
 * Throws VeniceError for anything the client must change. `character` is the persona of the request's
 * character_slug, looked up by the caller (chat-character.ts); a slug without one is 404 CHARACTER_NOT_FOUND.
 * Web search and scraping are the chat service's (web-retrieval.ts): here they are only echoed.
 */
export function prepareChat(
  request: ChatCompletionRequest,
  config: ModelConfig,
  engineModel: string,
  suffix: VeniceParameters,
  systemPrompt: string,
  character?: { systemPrompt: string },
): PreparedChat {
  const veniceParameters = effectiveParameters(request.venice_parameters, suffix, request.tools);
  if (veniceParameters.character_slug !== undefined && character === undefined)
    throw new VeniceError('CHARACTER_NOT_FOUND');

  const tools = (request.tools ?? []).filter(
    (tool): tool is FunctionTool => tool.type === 'function',
  );
  const { capabilities } = config;
  if (tools.length > 0 && !capabilities.supportsFunctionCalling)
    throw invalid(`Model ${config.id} does not support function calling`);
  const format = request.response_format;
  if (format !== undefined && format.type !== 'text' && !capabilities.supportsResponseSchema)
    throw invalid(`Model ${config.id} does not support response_format ${format.type}`);

  const messages = applyMediaRules(request.messages, config);
  for (const message of messages) {
    if (
      message.role === 'assistant' &&
      (message.content === null || message.content === undefined) &&
      (message.tool_calls ?? []).length === 0
    ) {
      throw invalid('An assistant message must have either content or tool_calls');
    }
  }

  const disableThinking =
    veniceParameters.disable_thinking ||
    request.reasoning?.enabled === false ||
    request.reasoning_effort === 'none';
  const engineRequest: EngineChatRequest = {
    model: engineModel,
    // INVENTORY §8.3 [INFERRED]: the persona goes ahead of the user's messages, after the operator's prompt.
    // include_venice_system_prompt: false drops only the operator's prompt: the persona is what the caller asked for.
    messages: withSystemPrompt(messages, [
      veniceParameters.include_venice_system_prompt ? systemPrompt : '',
      character?.systemPrompt ?? '',
    ]),
    n: request.n,
    stream: request.stream,
    parallelToolCalls: request.parallel_tool_calls,
  };
  const maxTokens = maxTokensOf(request, config);
  const effort = reasoningEffortOf(request, config);
  const optional: { [Key in keyof EngineChatRequest]?: EngineChatRequest[Key] | undefined } = {
    maxTokens,
    temperature: request.temperature ?? config.constraints.temperature,
    topP: request.top_p ?? config.constraints.top_p,
    topK: request.top_k,
    minP: request.min_p,
    frequencyPenalty: request.frequency_penalty,
    presencePenalty: request.presence_penalty,
    repetitionPenalty: request.repetition_penalty,
    seed: request.seed,
    reasoningEffort: effort,
    logprobs: request.logprobs,
    topLogprobs: request.top_logprobs,
    stop:
      request.stop === null || request.stop === undefined
        ? undefined
        : typeof request.stop === 'string'
          ? [request.stop]
          : request.stop,
    tools: tools.length > 0 ? tools : undefined,
    toolChoice: toolChoiceOf(request, tools),
    disableThinking: disableThinking || undefined,
    responseFormat:
      format === undefined || format.type === 'text'
        ? undefined
        : format.type === 'json_object' || format.json_schema.schema === undefined
          ? { type: 'json_object' }
          : {
              type: 'json_schema',
              schema: format.json_schema.schema,
              ...(format.json_schema.name === undefined ? {} : { name: format.json_schema.name }),
            },
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(engineRequest, { [key]: value });
  const passThrough = Object.fromEntries(
    Object.entries({
      prompt_cache_key: request.prompt_cache_key,
      prompt_cache_retention: request.prompt_cache_retention,
      stop_token_ids: request.stop_token_ids,
      min_temp: request.min_temp,
      max_temp: request.max_temp,
    }).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(passThrough).length > 0) engineRequest.passThrough = passThrough;

  return {
    engineRequest,
    veniceParameters,
    stripThinking: veniceParameters.strip_thinking_response || disableThinking,
    stream: request.stream,
    includeUsage: request.stream_options?.include_usage === true,
  };
}
