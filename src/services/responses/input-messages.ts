import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatMessage, UserContentPart } from '../../schemas/chat.ts';
import type { ResponsesContentPart, ResponsesInputItem } from '../../schemas/responses.ts';

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
type ReasoningInput = Extract<ResponsesInputItem, { type: 'reasoning' }>;

export const STATELESS =
  "Rialto's /responses is stateless (nothing is stored): send the whole conversation in `input`; item_reference and previous_response_id are not supported.";

function invalid(message: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', { message });
}

function userPart(part: ResponsesContentPart): UserContentPart {
  if (part.type !== 'input_image' && part.type !== 'image_url')
    return { type: 'text', text: part.text };
  const image = typeof part.image_url === 'string' ? { url: part.image_url } : part.image_url;
  const detail = image.detail ?? (part.type === 'input_image' ? part.detail : undefined);
  return {
    type: 'image_url',
    image_url: detail === undefined ? { url: image.url } : { url: image.url, detail },
  };
}

/** System, developer and assistant turns are text: their parts are joined; an image there is refused. */
function textOf(content: string | ResponsesContentPart[], role: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if ('text' in part) return part.text;
      throw invalid(`${role} messages take text only; images go in user messages`);
    })
    .join('');
}

/** The text of a replayed reasoning item: its raw content when it has one, else its summary. */
function reasoningTextOf(item: ReasoningInput): string {
  const texts = (parts: unknown[]): string[] =>
    parts.flatMap((part) =>
      typeof part === 'string'
        ? [part]
        : typeof part === 'object' &&
            part !== null &&
            'text' in part &&
            typeof part.text === 'string'
          ? [part.text]
          : [],
    );
  if (typeof item.content === 'string') return item.content;
  const content = texts(item.content ?? []);
  return (content.length > 0 ? content : texts(item.summary ?? [])).join('\n');
}

/** A tool result as chat's tool message content: strings as they are, text parts joined, anything else as JSON. */
function toolOutputOf(output: unknown): string {
  if (typeof output === 'string') return output;
  if (
    Array.isArray(output) &&
    output.every(
      (part) =>
        typeof part === 'object' &&
        part !== null &&
        'text' in part &&
        typeof part.text === 'string',
    )
  ) {
    return output.map((part: { text: string }) => part.text).join('');
  }
  return JSON.stringify(output);
}

/**
 * Input items as chat messages. An assistant turn is written as several items (reasoning, a message,
 * function_call items): consecutive ones become one assistant message with reasoning_content and tool_calls;
 * each function_call_output becomes a tool message. `instructions` leads, merged with a leading system message.
 */
export function messagesOf(
  input: string | ResponsesInputItem[],
  instructions: string | undefined,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let turn: AssistantMessage | undefined;
  const flush = (): void => {
    if (turn === undefined) return;
    // A turn of reasoning alone still needs content (chat: "content or tool_calls").
    messages.push(
      turn.content === null && turn.tool_calls === undefined ? { ...turn, content: '' } : turn,
    );
    turn = undefined;
  };
  for (const item of typeof input === 'string'
    ? [{ role: 'user' as const, content: input }]
    : input) {
    switch (item.type) {
      case 'item_reference':
        throw invalid(STATELESS);
      case 'reasoning':
        if (turn !== undefined && turn.content !== null) flush();
        turn ??= { role: 'assistant', content: null };
        turn.reasoning_content = [turn.reasoning_content, reasoningTextOf(item)]
          .filter((text) => typeof text === 'string' && text !== '')
          .join('\n');
        break;
      case 'function_call':
        turn ??= { role: 'assistant', content: null };
        turn.tool_calls = [
          ...(turn.tool_calls ?? []),
          {
            id: item.call_id,
            type: 'function',
            function: { name: item.name, arguments: item.arguments },
          },
        ];
        break;
      case 'function_call_output':
        flush();
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: toolOutputOf(item.output),
        });
        break;
      default:
        if (item.role === 'assistant') {
          if (turn !== undefined && (turn.content !== null || turn.tool_calls !== undefined))
            flush();
          turn ??= { role: 'assistant', content: null };
          turn.content = textOf(item.content, item.role);
          break;
        }
        flush();
        if (item.role === 'user')
          messages.push({
            role: 'user',
            content: typeof item.content === 'string' ? item.content : item.content.map(userPart),
          });
        else messages.push({ role: item.role, content: textOf(item.content, item.role) });
    }
  }
  flush();
  return withInstructions(messages, instructions);
}

function withInstructions(
  messages: ChatMessage[],
  instructions: string | undefined,
): ChatMessage[] {
  if (instructions === undefined || instructions === '') return messages;
  const [first, ...rest] = messages;
  if (
    first !== undefined &&
    (first.role === 'system' || first.role === 'developer') &&
    typeof first.content === 'string'
  ) {
    return [{ role: 'system', content: `${instructions}\n\n${first.content}` }, ...rest];
  }
  return [{ role: 'system', content: instructions }, ...messages];
}
