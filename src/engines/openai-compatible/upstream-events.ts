import type { EngineChatEvent, EngineUsage, FinishReason } from '../engine.ts';

interface UpstreamToolCall { index?: number; id?: string; function?: { name?: string; arguments?: string | Record<string, unknown> } }
interface UpstreamMessage { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: UpstreamToolCall[] | null }
interface UpstreamChoice { index?: number; delta?: UpstreamMessage; message?: UpstreamMessage; finish_reason?: string | null }
export interface UpstreamUsage { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null; completion_tokens_details?: { reasoning_tokens?: number } | null }
export interface UpstreamCompletion { choices?: UpstreamChoice[]; usage?: UpstreamUsage | null; error?: unknown }

/** Finish reasons of every server, in Venice's enum (stop | length | tool_calls). */
export function finishReasonOf(reason: string): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  return 'stop';
}

export function usageOf(usage: UpstreamUsage): EngineUsage {
  const result: EngineUsage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (typeof cached === 'number') result.cachedTokens = cached;
  if (typeof reasoning === 'number') result.reasoningTokens = reasoning;
  return result;
}

/**
 * Events from one upstream chunk (streaming `delta`) or response (`message`). Reasoning arrives as
 * `reasoning_content` (vLLM ≤ 0.10, llama.cpp) or `reasoning` (newer vLLM, Ollama); tool-call arguments
 * as string fragments, or (some servers) as a whole object, which is serialised.
 */
export function* eventsOf(completion: UpstreamCompletion): Generator<EngineChatEvent> {
  for (const [position, choice] of (completion.choices ?? []).entries()) {
    const index = choice.index ?? position;
    const message = choice.delta ?? choice.message ?? {};
    const reasoning = message.reasoning_content ?? message.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') yield { type: 'reasoning', choice: index, text: reasoning };
    if (typeof message.content === 'string' && message.content !== '') yield { type: 'content', choice: index, text: message.content };
    for (const [callPosition, call] of (message.tool_calls ?? []).entries()) {
      const rawArguments = call.function?.arguments;
      const event: EngineChatEvent = {
        type: 'tool_call', choice: index, index: call.index ?? callPosition,
        arguments: typeof rawArguments === 'string' ? rawArguments : rawArguments === undefined ? '' : JSON.stringify(rawArguments),
      };
      if (call.id !== undefined) event.id = call.id;
      if (call.function?.name !== undefined) event.name = call.function.name;
      yield event;
    }
    if (typeof choice.finish_reason === 'string') yield { type: 'finish', choice: index, reason: finishReasonOf(choice.finish_reason) };
  }
}
