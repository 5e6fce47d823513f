import type { FastifyReply } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import { streamErrorEvent } from './error-renderer.ts';

export interface EventStreamOptions {
  /** The `event:` field of a chunk's event (OpenAI's Responses stream names every event); none when absent. */
  eventName?: (chunk: Record<string, unknown>) => string | undefined;
  /** Whether `data: [DONE]` ends the stream (chat completions' convention); default true. */
  done?: boolean;
}

/**
 * Writes `chunks` as an SSE stream (`data: <json>\n\n` … `data: [DONE]\n\n`), honouring backpressure.
 * Headers already set on the reply (request id, model headers, CORS) are sent with the stream's.
 * If the client goes away, iteration stops at once (the caller's abort signal frees the engine).
 * An error after the headers are out is sent as one error event and the stream ends.
 */
export async function writeEventStream(
  reply: FastifyReply,
  chunks: AsyncGenerator<Record<string, unknown>>,
  toError: (error: unknown) => VeniceError,
  options: EventStreamOptions = {},
): Promise<void> {
  const response = reply.raw;
  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
  response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const closed = (): boolean => response.destroyed || response.writableEnded;
  const write = async (text: string): Promise<void> => {
    if (closed()) return;
    if (!response.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { response.off('drain', done); response.off('close', done); resolve(); };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  };
  const { metrics, lifecycle } = reply.server;
  let first = true;
  try {
    for await (const chunk of chunks) {
      if (closed()) break;
      if (first) {
        first = false;
        const model = reply.getHeader('x-venice-model-id');
        if (metrics !== undefined && typeof model === 'string') metrics.firstTokenAfter(model, reply.elapsedTime / 1000);
      }
      const name = options.eventName?.(chunk);
      await write(`${name === undefined ? '' : `event: ${name}\n`}data: ${JSON.stringify(chunk)}\n\n`);
    }
    if (options.done !== false) await write('data: [DONE]\n\n');
  } catch (error) {
    // Cut off by a graceful shutdown's deadline (http/lifecycle.ts): say so, whatever the engine made of the abort.
    const veniceError = lifecycle?.cutOffReached === true ? new VeniceError('SHUTTING_DOWN') : toError(error);
    metrics?.error(veniceError.code);
    await write(streamErrorEvent(veniceError));
  } finally {
    if (closed()) await chunks.return(undefined);
    else response.end();
  }
}
