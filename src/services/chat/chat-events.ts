import { randomHex } from '../../runtime/random-hex.ts';
import type { ModelConfig } from '../../config.ts';
import type { EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import { EngineError } from '../../engines/engine-error.ts';
import { ThinkSplitter } from './think-splitter.ts';

export interface NormalizeOptions {
  /** Split inline `<think>` blocks out of content into reasoning. */
  splitThinkTags: boolean;
  /** Drop reasoning entirely (strip_thinking_response / disable_thinking). */
  stripThinking: boolean;
}

/** Whether a model's content carries inline `<think>` blocks to split out: upstreams say with parseThinkTags (default on); embedded models split when they are reasoning models. */
export function splitsThinkTags(config: ModelConfig): boolean {
  return config.engine.kind === 'openai-compatible'
    ? config.engine.parseThinkTags
    : config.capabilities.supportsReasoning;
}

export function toolCallId(): string {
  return `call_${randomHex(12)}`;
}

/**
 * Normalises an engine's events into what every Venice response is built from: reasoning apart from
 * content (whatever the engine's format), an id and a name on the first fragment of every tool call,
 * and exactly one `usage` event, last. Synchronous, one event in and the events it makes out, so that a
 * stream needs no generator of its own for it. An engine that ends without usage is an engine bug: `end` throws.
 */
export class EventNormalizer {
  // Per choice, by its index. Arrays and a Set made on the first tool call: an open stream holds no hash tables.
  private readonly splitters: ThinkSplitter[] = [];
  private seenToolCalls: Set<string> | undefined;
  private usage: EngineUsage | undefined;

  constructor(private readonly options: NormalizeOptions) {}

  /** The normalised events of one engine event (none, one, or a few where think tags split a text). */
  push(event: EngineChatEvent): EngineChatEvent[] {
    switch (event.type) {
      case 'content':
        return this.options.splitThinkTags ? this.split(event.choice, event.text, false) : [event];
      case 'reasoning':
        return this.options.stripThinking ? [] : [event];
      case 'tool_call': {
        const key = `${event.choice}:${event.index}`;
        this.seenToolCalls ??= new Set();
        if (!this.seenToolCalls.has(key)) {
          this.seenToolCalls.add(key);
          return [{ ...event, id: event.id ?? toolCallId(), name: event.name ?? '' }];
        }
        const { id: _id, name: _name, ...fragment } = event;
        return [fragment];
      }
      case 'finish':
        return this.options.splitThinkTags
          ? [...this.split(event.choice, '', true), event]
          : [event];
      case 'usage':
        this.usage = event.usage;
        return [];
    }
  }

  /** The usage event, once the engine's events are over; throws when the engine reported none. */
  end(): EngineChatEvent[] {
    if (this.usage === undefined)
      throw new EngineError('failed', 'engine finished without reporting usage');
    return [{ type: 'usage', usage: this.usage }];
  }

  private split(choice: number, text: string, flush: boolean): EngineChatEvent[] {
    let splitter = this.splitters[choice];
    if (splitter === undefined) this.splitters[choice] = splitter = new ThinkSplitter();
    const events: EngineChatEvent[] = [];
    for (const piece of flush ? splitter.flush() : splitter.push(text)) {
      if (piece.kind === 'reasoning' && this.options.stripThinking) continue;
      events.push({ type: piece.kind, choice, text: piece.text });
    }
    return events;
  }
}

/** EventNormalizer over a whole stream of events, for callers that read one event at a time. */
export async function* normalizeEvents(
  events: AsyncIterable<EngineChatEvent>,
  options: NormalizeOptions,
): AsyncGenerator<EngineChatEvent> {
  const normalizer = new EventNormalizer(options);
  for await (const event of events) yield* normalizer.push(event);
  yield* normalizer.end();
}
