import { randomBytes } from 'node:crypto';
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
  return config.engine.kind === 'openai-compatible' ? config.engine.parseThinkTags : config.capabilities.supportsReasoning;
}

export function toolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/**
 * Normalises an engine's events into what every Venice response is built from: reasoning apart from
 * content (whatever the engine's format), an id and a name on the first fragment of every tool call,
 * and exactly one `usage` event, last. An engine that ends without usage is an engine bug: it throws.
 */
export async function* normalizeEvents(events: AsyncIterable<EngineChatEvent>, options: NormalizeOptions): AsyncGenerator<EngineChatEvent> {
  const splitters = new Map<number, ThinkSplitter>();
  const seenToolCalls = new Set<string>();
  let usage: EngineUsage | undefined;

  function* split(choice: number, text: string, flush: boolean): Generator<EngineChatEvent> {
    let splitter = splitters.get(choice);
    if (splitter === undefined) splitters.set(choice, (splitter = new ThinkSplitter()));
    const pieces = flush ? splitter.flush() : splitter.push(text);
    for (const piece of pieces) {
      if (piece.kind === 'reasoning' && options.stripThinking) continue;
      yield { type: piece.kind, choice, text: piece.text };
    }
  }

  for await (const event of events) {
    switch (event.type) {
      case 'content':
        if (options.splitThinkTags) yield* split(event.choice, event.text, false);
        else yield event;
        break;
      case 'reasoning':
        if (!options.stripThinking) yield event;
        break;
      case 'tool_call': {
        const key = `${event.choice}:${event.index}`;
        if (!seenToolCalls.has(key)) {
          seenToolCalls.add(key);
          yield { ...event, id: event.id ?? toolCallId(), name: event.name ?? '' };
        } else {
          const { id: _id, name: _name, ...fragment } = event;
          yield fragment;
        }
        break;
      }
      case 'finish':
        if (options.splitThinkTags) yield* split(event.choice, '', true);
        yield event;
        break;
      case 'usage':
        usage = event.usage;
        break;
    }
  }
  if (usage === undefined) throw new EngineError('failed', 'engine finished without reporting usage');
  yield { type: 'usage', usage };
}
