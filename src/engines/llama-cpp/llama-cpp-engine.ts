import {
  LlamaChat,
  resolveChatWrapper,
  type ChatWrapper,
  type ChatHistoryItem,
  type LlamaChatResponseChunk,
  type Token,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import type {
  EngineCall,
  EngineChatEvent,
  EngineChatRequest,
  EngineEmbedRequest,
  EngineEmbedResult,
  EngineLoad,
  EngineUsage,
  FinishReason,
  TextEngine,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { AsyncQueue } from './async-queue.ts';
import { toChatHistory } from './chat-history.ts';
import { DecodeBatcher } from './decode-batcher.ts';
import { forcedCallSchema, parseForcedCall, toGbnfSchema } from './gbnf-schema.ts';
import { SequencePool } from './sequence-pool.ts';

export interface LlamaCppEngineOptions {
  llama: Llama;
  model: LlamaModel;
  /** Chat context (text models); its sequences are the engine's concurrency. */
  context?: LlamaContext;
  maxQueue: number;
  threads: number;
  contextSize: number;
}

const GRAMMAR_CACHE_LIMIT = 32;
/** prompt_cache_key → the sequence that last served it, for this many keys (the oldest forgotten first). */
const CACHE_KEY_LIMIT = 1024;

/** generateResponse's options; node-llama-cpp types grammar and functions as exclusive variants. */
type GenerateOptions = NonNullable<Parameters<LlamaChat['generateResponse']>[1]>;

function finishOf(stopReason: string): FinishReason {
  if (stopReason === 'maxTokens') return 'length';
  if (stopReason === 'functionCalls') return 'tool_calls';
  return 'stop';
}

function aborted(error: unknown): EngineError {
  return new EngineError('failed', 'request aborted by the client', {
    cause: error,
    retryable: false,
  });
}

/**
 * llama.cpp, embedded through node-llama-cpp. Each choice of a request borrows one context sequence
 * (SequencePool: bounded queue, MODEL_AT_CAPACITY when full) and gives it back the moment it ends,
 * fails or the client goes away. The chat template comes from the GGUF (node-llama-cpp resolves it);
 * response_format and forced tool calls are grammars; tool_choice "auto" uses node-llama-cpp's
 * function calling; reasoning arrives as thought segments (or inline <think>, split by the service).
 */
export class LlamaCppEngine implements TextEngine {
  readonly kind = 'llama-cpp';
  readonly modality = 'text';
  readonly threads: number;
  readonly contextSize: number;
  private readonly pool: SequencePool<LlamaContextSequence>;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  private embeddingLock: Promise<unknown> = Promise.resolve();
  /** The GGUF's chat template, resolved once: prompts are rendered (to rank sequences) before a chat exists. */
  private readonly chatWrapper: ChatWrapper;
  private readonly cacheKeys = new Map<string, LlamaContextSequence>();
  /** Decodes carry every generating sequence, in id order (none for an embedding model). */
  readonly batcher: DecodeBatcher | undefined;

  constructor(private readonly options: LlamaCppEngineOptions) {
    this.threads = options.threads;
    this.contextSize = options.contextSize;
    this.chatWrapper = resolveChatWrapper(options.model);
    this.batcher = options.context && DecodeBatcher.attach(options.context);
    const sequences: LlamaContextSequence[] = [];
    while (options.context !== undefined && options.context.sequencesLeft > 0)
      sequences.push(options.context.getSequence());
    this.pool = new SequencePool(sequences, options.maxQueue);
  }

  /** Sequences generating now, requests waiting for one, and the sequence count (for tests and metrics). */
  load(): EngineLoad {
    return { active: this.pool.busy, queued: this.pool.queued, capacity: this.pool.size };
  }

  private grammarFor(schema: unknown): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      grammar = (
        schema === 'json'
          ? this.options.llama.getGrammarFor('json')
          : this.options.llama.createGrammarForJsonSchema(toGbnfSchema(schema) as never)
      ).catch((error: unknown) => {
        this.grammars.delete(key);
        throw new EngineError(
          'bad_request',
          `The JSON schema cannot be turned into a grammar: ${(error as Error).message}`,
          { cause: error },
        );
      });
      if (this.grammars.size >= GRAMMAR_CACHE_LIMIT)
        this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  async *streamChat(request: EngineChatRequest, call: EngineCall): AsyncGenerator<EngineChatEvent> {
    if (this.options.context === undefined)
      throw new EngineError('bad_request', 'This model serves embeddings only');
    call.servedBy = this.kind;
    const usage: EngineUsage = { promptTokens: 0, completionTokens: 0 };
    call.usage = usage;
    for (let choice = 0; choice < request.n; choice++)
      yield* this.generate(request, choice, call, usage);
    yield { type: 'usage', usage };
  }

  /** The rendered prompt's tokens (the GGUF's template, with the functions it documents). */
  private promptTokens(
    history: ChatHistoryItem[],
    functions: Record<string, unknown> | undefined,
  ): Token[] {
    const { contextText } = this.chatWrapper.generateContextState({
      chatHistory: history,
      ...(functions === undefined ? {} : { availableFunctions: functions as never }),
    });
    return contextText.tokenize(this.options.model.tokenizer);
  }

  /**
   * Prompt caching: the idle sequence that last served the request's prompt_cache_key, else the one whose
   * state shares the longest prefix with the prompt. node-llama-cpp keeps a sequence's KV state between
   * requests and evaluates only what follows the shared prefix, which is reported as cached tokens.
   */
  private async acquireFor(
    tokens: Token[],
    cacheKey: unknown,
    signal: AbortSignal,
  ): Promise<{ sequence: LlamaContextSequence; cachedTokens: number }> {
    const keyed = typeof cacheKey === 'string' ? this.cacheKeys.get(cacheKey) : undefined;
    const sequence = await this.pool.acquire(signal, (candidate) =>
      candidate === keyed
        ? Number.MAX_SAFE_INTEGER
        : candidate.compareContextTokens(tokens).firstDifferentIndex,
    );
    if (typeof cacheKey === 'string') {
      this.cacheKeys.delete(cacheKey);
      this.cacheKeys.set(cacheKey, sequence);
      if (this.cacheKeys.size > CACHE_KEY_LIMIT)
        this.cacheKeys.delete(this.cacheKeys.keys().next().value!);
    }
    // The last prompt token is always evaluated again: its logits start the answer.
    return {
      sequence,
      cachedTokens: Math.max(
        0,
        Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1),
      ),
    };
  }

  private async *generate(
    request: EngineChatRequest,
    choice: number,
    call: EngineCall,
    usage: EngineUsage,
  ): AsyncGenerator<EngineChatEvent> {
    const tools = request.tools ?? [];
    const choiceOf = request.toolChoice;
    const forcedTools =
      tools.length === 0 || choiceOf === undefined || choiceOf === 'auto' || choiceOf === 'none'
        ? undefined
        : choiceOf === 'required'
          ? tools
          : tools.filter((tool) => tool.function.name === choiceOf.name);
    const functions =
      tools.length > 0 && forcedTools === undefined && choiceOf !== 'none'
        ? Object.fromEntries(
            tools.map((tool) => [
              tool.function.name,
              {
                description: tool.function.description,
                params: toGbnfSchema(
                  tool.function.parameters ?? { type: 'object', properties: {} },
                ),
              },
            ]),
          )
        : undefined;
    const format = request.responseFormat;
    const grammar =
      forcedTools !== undefined
        ? await this.grammarFor(forcedCallSchema(forcedTools))
        : format === undefined || functions !== undefined
          ? undefined
          : await this.grammarFor(format.type === 'json_object' ? 'json' : format.schema);
    const history = toChatHistory(request.messages);
    const tokens = this.promptTokens(history, functions);
    const promptTokens = tokens.length;
    if (promptTokens >= this.contextSize)
      throw new EngineError(
        'context_length',
        `prompt of ${promptTokens} tokens does not fit the context of ${this.contextSize}`,
      );

    const { sequence, cachedTokens } = await this.acquireFor(
      tokens,
      request.passThrough?.prompt_cache_key,
      call.signal,
    );
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(call.signal.reason);
    call.signal.addEventListener('abort', onAbort, { once: true });
    const chat = new LlamaChat({
      contextSequence: sequence,
      autoDisposeSequence: false,
      chatWrapper: this.chatWrapper,
    });
    const queue = new AsyncQueue<EngineChatEvent>();
    let running: Promise<void> = Promise.resolve();
    const generated = (): void => this.batcher?.end(sequence);
    this.batcher?.begin(sequence);
    try {
      const maxTokens = Math.min(
        request.maxTokens ?? Number.POSITIVE_INFINITY,
        this.contextSize - promptTokens,
      );
      usage.promptTokens += promptTokens;
      usage.cachedTokens = (usage.cachedTokens ?? 0) + cachedTokens;

      let forcedText = '';
      const penalties =
        request.repetitionPenalty ?? request.frequencyPenalty ?? request.presencePenalty;
      const base = {
        signal: stop.signal,
        stopOnAbortSignal: false,
        maxTokens,
        temperature: request.temperature ?? 0,
        ...(request.topP === undefined ? {} : { topP: request.topP }),
        ...(request.topK === undefined ? {} : { topK: request.topK }),
        ...(request.minP === undefined ? {} : { minP: request.minP }),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.stop === undefined ? {} : { customStopTriggers: request.stop }),
        ...(penalties === undefined
          ? {}
          : {
              repeatPenalty: {
                penalty: request.repetitionPenalty ?? 1,
                frequencyPenalty: request.frequencyPenalty ?? 0,
                presencePenalty: request.presencePenalty ?? 0,
              },
            }),
        onToken: (tokens: Token[]) => {
          usage.completionTokens += tokens.length;
        },
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          if (chunk.type === 'segment') {
            if (chunk.segmentType === 'thought' && chunk.text !== '')
              queue.push({ type: 'reasoning', choice, text: chunk.text });
          } else if (forcedTools !== undefined) forcedText += chunk.text;
          else if (chunk.text !== '') queue.push({ type: 'content', choice, text: chunk.text });
        },
      };
      const generateOptions: GenerateOptions =
        grammar !== undefined
          ? { ...base, grammar }
          : functions === undefined
            ? base
            : {
                ...base,
                functions: functions as never,
                ...(request.parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
                onFunctionCallParamsChunk: (chunk: {
                  callIndex: number;
                  functionName: string;
                  paramsChunk: string;
                }) => {
                  queue.push({
                    type: 'tool_call',
                    choice,
                    index: chunk.callIndex,
                    name: chunk.functionName,
                    arguments: chunk.paramsChunk,
                  });
                },
              };
      running = chat.generateResponse(history, generateOptions).then(
        (result) => {
          generated();
          let reason = finishOf(result.metadata.stopReason);
          if (forcedTools !== undefined) {
            const call = parseForcedCall(forcedText, forcedTools);
            if (call === undefined) queue.push({ type: 'content', choice, text: forcedText });
            else {
              queue.push({
                type: 'tool_call',
                choice,
                index: 0,
                name: call.name,
                arguments: call.arguments,
              });
              reason = 'tool_calls';
            }
          }
          queue.push({ type: 'finish', choice, reason });
          queue.end();
        },
        (error: unknown) => {
          generated();
          queue.fail(
            stop.signal.aborted
              ? aborted(error)
              : new EngineError('failed', `llama.cpp failed: ${(error as Error).message}`, {
                  cause: error,
                }),
          );
        },
      );

      yield* queue;
    } finally {
      if (!stop.signal.aborted) stop.abort(new Error('generation ended'));
      await running.catch(() => undefined);
      generated();
      call.signal.removeEventListener('abort', onAbort);
      chat.dispose({ disposeSequence: false });
      this.pool.release(sequence);
    }
  }

  async embed(request: EngineEmbedRequest, call: EngineCall): Promise<EngineEmbedResult> {
    call.servedBy = this.kind;
    const { model } = this.options;
    this.embeddingContext ??= model.createEmbeddingContext({
      contextSize: this.contextSize,
      threads: this.threads,
    });
    const context = await this.embeddingContext;
    // One embedding context evaluates one input at a time; requests take turns.
    const run = this.embeddingLock.then(async () => {
      const vectors: number[][] = [];
      let promptTokens = 0;
      for (const text of request.input) {
        if (call.signal.aborted) throw aborted(call.signal.reason);
        const tokens = model.tokenize(text).length;
        if (tokens > this.contextSize)
          throw new EngineError(
            'context_length',
            `input of ${tokens} tokens exceeds ${this.contextSize}`,
          );
        promptTokens += tokens;
        vectors.push(unitVector((await context.getEmbeddingFor(text)).vector));
      }
      return { vectors, promptTokens };
    });
    this.embeddingLock = run.catch(() => undefined);
    return run;
  }

  async checkHealth(): Promise<{ healthy: boolean; detail: string }> {
    return {
      healthy: true,
      detail: `loaded; ${this.pool.busy} sequences busy, ${this.pool.queued} queued`,
    };
  }

  async countTokens(_model: string, text: string): Promise<number> {
    return this.options.model.tokenize(text).length;
  }

  async close(): Promise<void> {
    await (await this.embeddingContext?.catch(() => undefined))?.dispose();
    await this.options.context?.dispose();
    await this.options.model.dispose();
  }
}

/** llama.cpp returns raw pooled embeddings; OpenAI-style clients expect unit vectors (cosine = dot product). */
function unitVector(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  return norm === 0 ? [...vector] : vector.map((value) => value / norm);
}
