/**
 * One streamed OpenAI-style chat completion, read to its end, for engine-overhead.ts: Rialto's and llama-server's
 * `/chat/completions` are read the same way, so neither side of the comparison pays for a different client.
 */
import type { Pool } from 'undici';

/** One request's outcome, whichever side served it. */
export interface Answer {
  status: number;
  completionTokens: number;
  finish: string;
  text: string;
  ttftMs: number;
}

/** What to send: the path, headers and JSON body of the request. */
export interface ChatRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** A connection of its own (undici's `reset`): for llama-server, which closes its connection after every stream. */
  closeConnection?: boolean;
}

/** The minimal shape of a chunk this reads (usage may come in any chunk: llama-server sends it in the last one). */
interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { completion_tokens?: number } | null;
}

/** Sends `request` and reads the SSE stream to its end; the answer is parsed after the stream ended. */
export async function streamedChat(
  pool: Pool,
  request: ChatRequest,
  started: bigint,
): Promise<Answer> {
  const response = await pool.request({
    method: 'POST',
    path: request.path,
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
    reset: request.closeConnection === true,
  });
  let ttftMs = Number.NaN;
  let body = '';
  response.body.setEncoding('utf8');
  for await (const piece of response.body as AsyncIterable<string>) {
    if (Number.isNaN(ttftMs) && piece.includes('data: '))
      ttftMs = Number(process.hrtime.bigint() - started) / 1e6;
    body += piece;
  }
  const answer: Answer = {
    status: response.statusCode,
    completionTokens: Number.NaN,
    finish: 'none',
    text: '',
    ttftMs,
  };
  if (response.statusCode !== 200 || !body.trimEnd().endsWith('data: [DONE]'))
    return { ...answer, text: body.slice(0, 300) };
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as Chunk;
    for (const choice of chunk.choices ?? []) {
      answer.text += choice.delta?.content ?? '';
      if (typeof choice.finish_reason === 'string') answer.finish = choice.finish_reason;
    }
    if (typeof chunk.usage?.completion_tokens === 'number')
      answer.completionTokens = chunk.usage.completion_tokens;
  }
  return answer;
}

/** The request body both sides get: one user message, greedy, `maxTokens`, usage in the stream. */
export function chatBody(model: string, prompt: string, maxTokens: number): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
}
