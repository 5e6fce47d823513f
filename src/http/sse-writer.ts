import type { FastifyReply } from 'fastify';
import type { VeniceError } from '../errors/venice-error.ts';
import { streamErrorEvent } from './error-renderer.ts';

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
  try {
    for await (const chunk of chunks) {
      if (closed()) break;
      await write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    await write('data: [DONE]\n\n');
  } catch (error) {
    await write(streamErrorEvent(toError(error)));
  } finally {
    if (closed()) await chunks.return(undefined);
    else response.end();
  }
}
