import type { EngineChatEvent, SearchHit } from '../../engines/engine.ts';
import { toolCallId } from './chat-events.ts';

/** swagger: return_search_results_as_documents, "an OpenAI-compatible tool call named venice_web_search_documents". */
export const DOCUMENTS_TOOL = 'venice_web_search_documents';

/**
 * return_search_results_as_documents: every choice starts with a `venice_web_search_documents` tool call (index 0)
 * whose arguments are `{"documents": [{title, url, content, date}, …]}` — an object, since tool-call arguments are
 * parsed as one (LangChain keeps a tool call's args as a dict). The model's own tool calls follow, their indexes
 * shifted by one. The choice's finish_reason stays the model's.
 */
export class DocumentsCall {
  private readonly argumentsText: string;
  private readonly started = new Set<number>();

  constructor(documents: SearchHit[]) {
    this.argumentsText = JSON.stringify({ documents });
  }

  /** The events one normalised event becomes. */
  push(event: EngineChatEvent): EngineChatEvent[] {
    if (event.type === 'usage') return [event];
    const events: EngineChatEvent[] = [];
    if (!this.started.has(event.choice)) {
      this.started.add(event.choice);
      events.push({
        type: 'tool_call',
        choice: event.choice,
        index: 0,
        id: toolCallId(),
        name: DOCUMENTS_TOOL,
        arguments: this.argumentsText,
      });
    }
    events.push(event.type === 'tool_call' ? { ...event, index: event.index + 1 } : event);
    return events;
  }
}

/** DocumentsCall over a whole stream of events. */
export async function* withDocumentsCall(
  events: AsyncIterable<EngineChatEvent>,
  documents: SearchHit[],
): AsyncGenerator<EngineChatEvent> {
  const call = new DocumentsCall(documents);
  for await (const event of events) yield* call.push(event);
}
