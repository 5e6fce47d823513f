import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import type { ChatMessage } from '../../schemas/chat.ts';

function textOf(content: string | { type: string; text?: string }[] | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('\n');
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * OpenAI messages → node-llama-cpp chat history. In node-llama-cpp a model turn holds its function calls
 * together with their results, so each `tool` message is folded into the call it answers
 * (by tool_call_id). Earlier reasoning goes back as a thought segment, so templates can render or drop it.
 * Calls that no tool message answers keep the result "(no result)".
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: textOf(message.content) });
        break;
      case 'user':
        history.push({ type: 'user', text: textOf(message.content) });
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = [];
        if (message.reasoning_content)
          response.push({
            type: 'segment',
            segmentType: 'thought',
            text: message.reasoning_content,
            ended: true,
          });
        const text = textOf(message.content);
        if (text !== '') response.push(text);
        for (const [position, call] of (message.tool_calls ?? []).entries()) {
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: call.function.name,
            params: parseArguments(call.function.arguments),
            result: '(no result)',
            startsNewChunk: position === 0,
          };
          callsById.set(call.id, item);
          response.push(item);
        }
        history.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = callsById.get(message.tool_call_id);
        if (call !== undefined) call.result = parseArguments(textOf(message.content));
        else
          history.push({
            type: 'user',
            text: `Tool result (${message.tool_call_id}): ${textOf(message.content)}`,
          });
        break;
      }
    }
  }
  // LlamaChat continues the last model turn: after tool results that is the turn holding the calls
  // (node-llama-cpp keeps calls and the answer that follows them in one turn); otherwise a new, empty one.
  const last = history.at(-1);
  const continuesCalls =
    last?.type === 'model' &&
    last.response.some((item) => typeof item === 'object' && item.type === 'functionCall');
  if (!continuesCalls) history.push({ type: 'model', response: [] });
  return history;
}
