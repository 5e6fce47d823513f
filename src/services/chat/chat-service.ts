import { randomBytes } from 'node:crypto';
import type { EngineCall, EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import type { ChatCompletionRequest } from '../../schemas/chat.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import { priceOf, type Cost } from '../pricing.ts';
import { normalizeEvents } from './chat-events.ts';
import { collectCompletion, completionChunks, type CompletionIdentity } from './chat-response.ts';
import { prepareChat } from './prepare-chat.ts';

export interface ChatOutcome {
  entry: ModelEntry;
  /** Where the engine served it (x-venice-model-router). */
  servedBy: string;
}

export type ChatResult =
  | (ChatOutcome & { kind: 'json'; body: Record<string, unknown> })
  | (ChatOutcome & { kind: 'stream'; chunks: AsyncGenerator<Record<string, unknown>> });

/** Called once per completion with what it used and what it costs; the accounts layer settles here. */
export type UsageListener = (usage: EngineUsage, cost: Cost, entry: ModelEntry) => void;

/** Engine failures become Venice errors; anything else passes through to the app's error handler. */
async function* mapEngineErrors<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw error instanceof EngineError ? toVeniceError(error) : error;
  }
}

/**
 * POST /chat/completions, framework-free: resolves the model, validates the request against it, runs
 * the engine and shapes its events into Venice's JSON or chunks. For streams, the first event is awaited
 * before returning, so failures before the first byte (and upstream failover) still get a proper status.
 */
export class ChatService {
  constructor(private readonly registry: ModelRegistry, private readonly systemPrompt: () => string) {}

  async create(request: ChatCompletionRequest, signal: AbortSignal, onUsage: UsageListener = () => undefined): Promise<ChatResult> {
    const { entry, suffixParameters } = this.registry.resolve(request.model, 'text');
    const prepared = prepareChat(request, entry.config, entry.engineModel, suffixParameters, this.systemPrompt());
    const call: EngineCall = { signal };
    const identity: CompletionIdentity = { id: `chatcmpl-${randomBytes(16).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: entry.config.id };
    const price = (usage: EngineUsage): Cost => priceOf(entry.config.pricing, usage);
    const events = mapEngineErrors(normalizeEvents(entry.engine.streamChat(prepared.engineRequest, call), {
      // Upstreams say with parseThinkTags (default on); embedded models split when they are reasoning models.
      splitThinkTags: entry.config.engine.kind === 'openai-compatible' ? entry.config.engine.parseThinkTags : entry.config.capabilities.supportsReasoning,
      stripThinking: prepared.stripThinking,
    }));

    if (!prepared.stream) {
      const { body, usage, cost } = await collectCompletion(events, identity, price, prepared.veniceParameters);
      onUsage(usage, cost, entry);
      return { kind: 'json', body, entry, servedBy: call.servedBy ?? entry.engine.kind };
    }
    const first = await events.next();
    const replay = async function* (): AsyncGenerator<EngineChatEvent> {
      if (!first.done) yield first.value;
      yield* events;
    };
    const chunks = completionChunks(replay(), identity, price, prepared.includeUsage, (usage, cost) => onUsage(usage, cost, entry));
    return { kind: 'stream', chunks, entry, servedBy: call.servedBy ?? entry.engine.kind };
  }
}
