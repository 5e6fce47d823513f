import { randomHex } from '../../runtime/random-hex.ts';
import type {
  OutputText,
  ResponseOutputItem,
  ResponsesResponse,
  ResponsesUsage,
} from '../../schemas/responses-response.ts';
import type { ResponsesRequest } from '../../schemas/responses.ts';
import type { ChatUsageView, CostView } from './chat-views.ts';

// swagger: the 200 response of POST /responses (ResponsesResponse). OpenAI's fields the swagger leaves out
// (incomplete_details and the request echo) are added; `error` is sent only on failure (it is not nullable).

export function newId(prefix: 'resp' | 'msg' | 'rs' | 'fc'): string {
  return `${prefix}_${randomHex(16)}`;
}

export function outputText(text: string): OutputText {
  return { type: 'output_text', text, annotations: [] };
}

/**
 * The model's reasoning: swagger's `summary` is string[], so the text is the one summary entry; OpenAI's
 * clients read raw reasoning from `content` parts of type reasoning_text, so it is there too.
 */
export function reasoningItem(id: string, text: string): ResponseOutputItem {
  return { type: 'reasoning', id, summary: [text], content: [{ type: 'reasoning_text', text }] };
}

export function messageItem(
  id: string,
  content: OutputText[],
  status: 'completed' | 'in_progress',
): ResponseOutputItem {
  return { type: 'message', id, status, role: 'assistant', content };
}

export function functionCallItem(
  id: string,
  callId: string,
  name: string,
  args: string,
  status: 'completed' | 'in_progress',
): ResponseOutputItem {
  return { type: 'function_call', id, call_id: callId, name, arguments: args, status };
}

/**
 * reasoning_tokens as the engine reported them; engines that report none (vLLM, llama.cpp) get the
 * reasoning text counted with the model's tokenizer (llama.cpp) or estimated (upstreams), at most output_tokens.
 */
export async function reasoningTokensOf(
  usage: ChatUsageView,
  reasoning: string,
  count: (text: string) => Promise<number>,
): Promise<number> {
  const reported = usage.completion_tokens_details?.reasoning_tokens;
  if (reported !== undefined) return reported;
  return reasoning === '' ? 0 : Math.min(usage.completion_tokens, await count(reasoning));
}

export function usageOf(usage: ChatUsageView, reasoningTokens: number): ResponsesUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

/** What every snapshot of one response shares. */
export interface ResponseIdentity {
  id: string;
  createdAt: number;
  model: string;
  request: ResponsesRequest;
}

export interface ResponseState {
  status: 'in_progress' | 'completed';
  output: ResponseOutputItem[];
  usage?: ResponsesUsage;
  cost?: CostView;
  /** The output stopped at max_output_tokens: status stays "completed" (the swagger's enum has no
   *  "incomplete"), and incomplete_details says why, as OpenAI does. */
  truncated?: boolean;
}

export function responseBody(identity: ResponseIdentity, state: ResponseState): ResponsesResponse {
  const { request } = identity;
  return {
    id: identity.id,
    object: 'response',
    created_at: identity.createdAt,
    model: identity.model,
    status: state.status,
    output: state.output,
    ...(state.usage === undefined ? {} : { usage: state.usage }),
    ...(state.cost === undefined ? {} : { cost: state.cost }),
    incomplete_details: state.truncated === true ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    reasoning: {
      effort: request.reasoning?.effort ?? null,
      summary: request.reasoning?.summary ?? null,
    },
    store: false,
    temperature: request.temperature ?? null,
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? null,
  };
}
