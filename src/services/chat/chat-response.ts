import type {
  EngineChatEvent,
  EngineUsage,
  FinishReason,
  SearchHit,
} from '../../engines/engine.ts';
import type {
  ChatCompletionChunk,
  ChatCompletionDelta,
  ChatCompletionResponse,
  ChatCompletionUsage,
  VeniceParametersEcho,
} from '../../schemas/chat-response.ts';
import type { Cost } from '../pricing.ts';
import type { EffectiveVeniceParameters } from './prepare-chat.ts';

/** What every chunk and response of one completion shares. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** swagger: chat completion `usage`, with the cache and reasoning breakdowns always present. */
export function usageBody(usage: EngineUsage): ChatCompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details:
      usage.reasoningTokens === undefined ? null : { reasoning_tokens: usage.reasoningTokens },
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
): Promise<{ body: ChatCompletionResponse }> {
  const choices = new Map<number, ChoiceState>();
  const choice = (index: number): ChoiceState => {
    let state = choices.get(index);
    if (state === undefined)
      choices.set(index, (state = { content: '', reasoning: '', toolCalls: [], finish: 'stop' }));
    return state;
  };
  let usage: EngineUsage = { promptTokens: 0, completionTokens: 0 };
  for await (const event of events) {
    if (event.type === 'content') choice(event.choice).content += event.text;
    else if (event.type === 'reasoning') choice(event.choice).reasoning += event.text;
    else if (event.type === 'tool_call') {
      const calls = choice(event.choice).toolCalls;
      const existing = calls[event.index];
      if (existing === undefined)
        calls[event.index] = {
          id: event.id ?? '',
          type: 'function',
          function: { name: event.name ?? '', arguments: event.arguments },
        };
      else existing.function.arguments += event.arguments;
    } else if (event.type === 'finish') choice(event.choice).finish = event.reason;
    else usage = event.usage;
  }
  const cost = price(usage);
  const body: ChatCompletionResponse = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => {
        const toolCalls = state.toolCalls.filter((call) => call !== undefined);
        return {
          index,
          message: {
            role: 'assistant' as const,
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
  veniceParameters: VeniceParametersEcho;
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
 * carries the venice_parameters echo and its citations (INVENTORY §11 #9), or is a results chunk of its own.
 * Synchronous: one event in, its chunks out.
 */
export class ChunkBuilder {
  private echo: VeniceParametersEcho | undefined;
  private resultsChunk: boolean;
  /** The choices whose role chunk went out (an array, not a Set: one choice nearly always). */
  private readonly started: number[] = [];

  constructor(
    private readonly identity: CompletionIdentity,
    private readonly price: (usage: EngineUsage) => Cost,
    private readonly includeUsage: boolean,
    web?: StreamWebResults,
  ) {
    this.echo = web?.veniceParameters;
    this.resultsChunk = web?.resultsChunk === true;
  }

  chunksOf(event: EngineChatEvent): ChatCompletionChunk[] {
    const chunks: ChatCompletionChunk[] = [];
    if (this.resultsChunk) {
      this.resultsChunk = false;
      chunks.push({ ...this.base(), choices: [] });
    }
    if (event.type === 'usage') {
      if (this.includeUsage)
        chunks.push({
          ...this.base(),
          choices: [],
          usage: usageBody(event.usage),
          cost: this.price(event.usage),
        });
      return chunks;
    }
    if (!this.started.includes(event.choice)) {
      this.started.push(event.choice);
      chunks.push(this.chunk(event.choice, { role: 'assistant', content: '' }));
    }
    if (event.type === 'content') chunks.push(this.chunk(event.choice, { content: event.text }));
    else if (event.type === 'reasoning')
      chunks.push(this.chunk(event.choice, { reasoning_content: event.text }));
    else if (event.type === 'finish') chunks.push(this.chunk(event.choice, {}, event.reason));
    else {
      const call =
        event.id !== undefined
          ? {
              index: event.index,
              id: event.id,
              type: 'function' as const,
              function: { name: event.name ?? '', arguments: event.arguments },
            }
          : { index: event.index, function: { arguments: event.arguments } };
      chunks.push(this.chunk(event.choice, { tool_calls: [call] }));
    }
    return chunks;
  }

  /** The fields every chunk starts with; the echo goes on whichever chunk is first, once. */
  private base(): Pick<
    ChatCompletionChunk,
    'id' | 'object' | 'created' | 'model' | 'venice_parameters'
  > {
    const { id, created, model } = this.identity;
    const echo = this.echo;
    if (echo === undefined) return { id, object: 'chat.completion.chunk', created, model };
    this.echo = undefined;
    return { id, object: 'chat.completion.chunk', created, model, venice_parameters: echo };
  }

  private chunk(
    choice: number,
    delta: ChatCompletionDelta,
    finishReason: FinishReason | null = null,
  ): ChatCompletionChunk {
    const choices = [{ index: choice, delta, finish_reason: finishReason, logprobs: null }];
    // The chunk of every token: one literal, no spread of the shared fields.
    if (this.echo === undefined)
      return {
        id: this.identity.id,
        object: 'chat.completion.chunk',
        created: this.identity.created,
        model: this.identity.model,
        choices,
      };
    return { ...this.base(), choices };
  }
}

/**
 * `JSON.stringify` of the chunks of one completion, the same bytes, faster for the chunk a stream is made of (one
 * choice whose delta is only text or only reasoning): the fields every chunk shares are encoded once and the
 * text spliced in, so a relayed token costs one string encoding, not an object's.
 */
export function chunkEncoder(identity: CompletionIdentity): (chunk: ChatCompletionChunk) => string {
  const head = `${JSON.stringify({ id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model }).slice(0, -1)},"choices":[{"index":`;
  return (chunk) => {
    const choice = chunk.choices.length === 1 ? chunk.choices[0] : undefined;
    if (
      choice === undefined ||
      chunk.venice_parameters !== undefined ||
      chunk.usage !== undefined ||
      choice.finish_reason !== null
    )
      return JSON.stringify(chunk);
    const { delta } = choice;
    if (delta.role !== undefined || delta.tool_calls !== undefined) return JSON.stringify(chunk);
    const tail = '},"finish_reason":null,"logprobs":null}]}';
    if (delta.content !== undefined && delta.reasoning_content === undefined)
      return `${head}${choice.index},"delta":{"content":${JSON.stringify(delta.content)}${tail}`;
    if (delta.reasoning_content !== undefined && delta.content === undefined)
      return `${head}${choice.index},"delta":{"reasoning_content":${JSON.stringify(delta.reasoning_content)}${tail}`;
    return JSON.stringify(chunk);
  };
}
