import type { EngineChatEvent, EngineUsage, FinishReason, SearchHit } from '../../engines/engine.ts';
import type { Cost } from '../pricing.ts';
import type { EffectiveVeniceParameters } from './prepare-chat.ts';

/** What every chunk and response of one completion shares. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** swagger: chat completion `usage`, with the cache and reasoning breakdowns always present. */
export function usageBody(usage: EngineUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: usage.reasoningTokens === undefined ? null : { reasoning_tokens: usage.reasoningTokens },
  };
}

/** OpenAI's `stop_reason` companion of finish_reason (swagger: choices[].stop_reason, stop | length | null). */
function stopReasonOf(reason: FinishReason): 'stop' | 'length' | null {
  return reason === 'tool_calls' ? null : reason;
}

interface ChoiceState {
  content: string;
  reasoning: string;
  toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  finish: FinishReason;
}

/**
 * Collects normalised events into the non-streaming `chat.completion` body (swagger: 200 application/json), whose
 * venice_parameters echo carries the web search citations ("in the non streaming response", swagger).
 */
export async function collectCompletion(
  events: AsyncIterable<EngineChatEvent>,
  identity: CompletionIdentity,
  price: (usage: EngineUsage) => Cost,
  veniceParameters: EffectiveVeniceParameters,
  citations: SearchHit[] = [],
): Promise<{ body: Record<string, unknown> }> {
  const choices = new Map<number, ChoiceState>();
  const choice = (index: number): ChoiceState => {
    let state = choices.get(index);
    if (state === undefined) choices.set(index, (state = { content: '', reasoning: '', toolCalls: [], finish: 'stop' }));
    return state;
  };
  let usage: EngineUsage = { promptTokens: 0, completionTokens: 0 };
  for await (const event of events) {
    if (event.type === 'content') choice(event.choice).content += event.text;
    else if (event.type === 'reasoning') choice(event.choice).reasoning += event.text;
    else if (event.type === 'tool_call') {
      const calls = choice(event.choice).toolCalls;
      const existing = calls[event.index];
      if (existing === undefined) calls[event.index] = { id: event.id ?? '', type: 'function', function: { name: event.name ?? '', arguments: event.arguments } };
      else existing.function.arguments += event.arguments;
    } else if (event.type === 'finish') choice(event.choice).finish = event.reason;
    else usage = event.usage;
  }
  const cost = price(usage);
  const body = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [...choices.entries()].sort(([a], [b]) => a - b).map(([index, state]) => {
      const toolCalls = state.toolCalls.filter((call) => call !== undefined);
      return {
        index,
        message: {
          role: 'assistant',
          content: state.content === '' && toolCalls.length > 0 ? null : state.content,
          reasoning_content: state.reasoning === '' ? null : state.reasoning,
          tool_calls: toolCalls,
        },
        finish_reason: state.finish,
        logprobs: null,
        stop_reason: stopReasonOf(state.finish),
      };
    }),
    usage: usageBody(usage),
    prompt_logprobs: null,
    cost,
    venice_parameters: { ...veniceParameters, web_search_citations: citations },
  };
  return { body };
}

/** What a stream of a request with web search or scraping adds (swagger: enable_web_search, include_search_results_in_stream). */
export interface StreamWebResults {
  /** The venice_parameters echo with web_search_citations: "returned … in the first chunk of a streaming result". */
  veniceParameters: Record<string, unknown>;
  /**
   * include_search_results_in_stream: "search results in the stream as the first emitted chunk" (INVENTORY §12 #2):
   * a chunk of its own, `choices: []` and the echo, ahead of the model's first chunk, which then carries no echo.
   */
  resultsChunk: boolean;
}

/**
 * Turns normalised events into `chat.completion.chunk` objects (OpenAI's SSE convention, INVENTORY §2.11):
 * a role chunk first per choice, then deltas, a finish chunk per choice, and — when the client asked with
 * stream_options.include_usage — a last chunk with empty choices, usage and cost. With `web`, the first chunk
 * carries the venice_parameters echo and its citations (INVENTORY §11 #9).
 */
export async function* completionChunks(
  events: AsyncIterable<EngineChatEvent>,
  identity: CompletionIdentity,
  price: (usage: EngineUsage) => Cost,
  includeUsage: boolean,
  web?: StreamWebResults,
): AsyncGenerator<Record<string, unknown>> {
  let echo = web?.veniceParameters;
  // The echo goes on whichever chunk is first, once.
  const base = (): Record<string, unknown> => {
    const fields: Record<string, unknown> = { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model };
    if (echo !== undefined) fields.venice_parameters = echo;
    echo = undefined;
    return fields;
  };
  if (web?.resultsChunk === true) yield { ...base(), choices: [] };
  const started = new Set<number>();
  const chunk = (choice: number, delta: Record<string, unknown>, finishReason: FinishReason | null = null): Record<string, unknown> => ({
    ...base(), choices: [{ index: choice, delta, finish_reason: finishReason, logprobs: null }],
  });
  for await (const event of events) {
    if (event.type === 'usage') {
      if (includeUsage) yield { ...base(), choices: [], usage: usageBody(event.usage), cost: price(event.usage) };
      continue;
    }
    if (!started.has(event.choice)) {
      started.add(event.choice);
      yield chunk(event.choice, { role: 'assistant', content: '' });
    }
    if (event.type === 'content') yield chunk(event.choice, { content: event.text });
    else if (event.type === 'reasoning') yield chunk(event.choice, { reasoning_content: event.text });
    else if (event.type === 'finish') yield chunk(event.choice, {}, event.reason);
    else {
      const call: Record<string, unknown> = { index: event.index };
      if (event.id !== undefined) Object.assign(call, { id: event.id, type: 'function', function: { name: event.name ?? '', arguments: event.arguments } });
      else call.function = { arguments: event.arguments };
      yield chunk(event.choice, { tool_calls: [call] });
    }
  }
}
