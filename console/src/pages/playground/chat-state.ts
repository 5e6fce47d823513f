// A conversation as the playground shows it, and how stream chunks update its last answer.

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  /** Set on the answer once its stream has finished. */
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number; costUsd: number | null };
  error?: string;
  model?: string;
}

type Delta = { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown };
type ToolCallDelta = {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The answer after one chunk: content, reasoning and tool-call deltas appended; the last chunk's usage and cost. */
export function applyChunk(turn: ChatTurn, chunk: Record<string, unknown>): ChatTurn {
  const next: ChatTurn = { ...turn, toolCalls: turn.toolCalls.map((call) => ({ ...call })) };
  const choices = Array.isArray(chunk.choices)
    ? (chunk.choices as { delta?: Delta; finish_reason?: unknown }[])
    : [];
  const choice = choices[0];
  if (choice?.delta !== undefined) {
    next.content += text(choice.delta.content);
    next.reasoning += text(choice.delta.reasoning_content);
    const calls = Array.isArray(choice.delta.tool_calls)
      ? (choice.delta.tool_calls as ToolCallDelta[])
      : [];
    for (const call of calls) {
      const index = typeof call.index === 'number' ? call.index : 0;
      const existing =
        next.toolCalls[index] ?? (next.toolCalls[index] = { id: '', name: '', arguments: '' });
      existing.id ||= text(call.id);
      existing.name ||= text(call.function?.name);
      existing.arguments += text(call.function?.arguments);
    }
  }
  if (typeof choice?.finish_reason === 'string') next.finishReason = choice.finish_reason;
  const usage = chunk.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  if (usage !== undefined && usage !== null) {
    const cost = chunk.cost as { usd?: unknown } | undefined;
    next.usage = {
      promptTokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
      completionTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
      costUsd: typeof cost?.usd === 'number' ? cost.usd : null,
    };
  }
  return next;
}

/** The turns as chat messages (an answer's tool calls are not replayed: the playground has no tool results to give). */
export function toMessages(system: string, turns: ChatTurn[]): { role: string; content: string }[] {
  const messages = turns
    .filter((turn) => turn.error === undefined)
    .map((turn) => ({ role: turn.role, content: turn.content }));
  return system.trim() === '' ? messages : [{ role: 'system', content: system }, ...messages];
}
