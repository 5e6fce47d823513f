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
export async function* withDocumentsCall(events: AsyncIterable<EngineChatEvent>, documents: SearchHit[]): AsyncGenerator<EngineChatEvent> {
  const argumentsText = JSON.stringify({ documents });
  const started = new Set<number>();
  for await (const event of events) {
    if (event.type === 'usage') {
      yield event;
      continue;
    }
    if (!started.has(event.choice)) {
      started.add(event.choice);
      yield { type: 'tool_call', choice: event.choice, index: 0, id: toolCallId(), name: DOCUMENTS_TOOL, arguments: argumentsText };
    }
    yield event.type === 'tool_call' ? { ...event, index: event.index + 1 } : event;
  }
}
