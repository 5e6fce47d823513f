// A real HTTP server on 127.0.0.1 for the fault tests: an OpenAI-compatible upstream whose answer to each chat
// request is whatever the test's handler writes (a good stream, a dying socket, garbage, silence). The helpers
// write the wire format of vLLM's chat completion chunks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen-on-loopback.ts';

/** One chat request as the upstream received it. */
export interface FaultRequest {
  body: Record<string, unknown>;
  request: IncomingMessage;
}

export type FaultHandler = (
  request: FaultRequest,
  response: ServerResponse,
) => void | Promise<void>;

export interface FaultUpstream {
  /** Base URL with /v1. */
  url: string;
  /** Chat requests received so far. */
  readonly requests: number;
  /** Answers the next chat requests (until replaced). */
  setHandler(handler: FaultHandler): void;
  close(): Promise<void>;
}

/** One `data:` event of a chat.completion.chunk carrying `content` (and a finish reason, when given). */
export function contentChunk(content: string, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fault', object: 'chat.completion.chunk', created: 1, model: 'fault', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
}

/** The last chunk of a stream with include_usage, then [DONE]. */
export function usageChunkAndDone(promptTokens: number, completionTokens: number): string {
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  return `data: ${JSON.stringify({ id: 'chatcmpl-fault', object: 'chat.completion.chunk', created: 1, model: 'fault', choices: [], usage })}\n\ndata: [DONE]\n\n`;
}

/** A whole non-streamed chat.completion. */
export function completionBody(
  content: string,
  promptTokens: number,
  completionTokens: number,
): string {
  return JSON.stringify({
    id: 'chatcmpl-fault',
    object: 'chat.completion',
    created: 1,
    model: 'fault',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

/** A healthy upstream: `content` in three chunks (streams) or one body, with usage. */
export const healthyAnswer =
  (content = 'All is well.', usage = { prompt: 16, completion: 8 }): FaultHandler =>
  ({ body }, response) => {
    if (body.stream !== true) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(completionBody(content, usage.prompt, usage.completion));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const third = Math.ceil(content.length / 3);
    for (let start = 0; start < content.length; start += third)
      response.write(contentChunk(content.slice(start, start + third)));
    response.write(contentChunk('', 'stop'));
    response.end(usageChunkAndDone(usage.prompt, usage.completion));
  };

export async function startFaultUpstream(
  initial: FaultHandler = healthyAnswer(),
): Promise<FaultUpstream> {
  let handler = initial;
  let requests = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url?.endsWith('/models')) {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ object: 'list', data: [{ id: 'fault', object: 'model' }] }));
        return;
      }
      requests += 1;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // Rialto always sends JSON; a handler sees {} otherwise.
      }
      void Promise.resolve(handler({ body, request }, response)).catch(() => response.destroy());
    });
  });
  const { origin, stop } = await listenOnLoopback(server);
  return {
    url: `${origin}/v1`,
    get requests() {
      return requests;
    },
    setHandler(next) {
      handler = next;
    },
    close: stop,
  };
}
