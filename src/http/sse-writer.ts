import type { FastifyReply } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import { streamErrorEvent } from './error-renderer.ts';
import { baseHeaders } from './response-headers.ts';

export interface EventStreamOptions<T> {
  /** The `event:` field of a chunk's event (OpenAI's Responses stream names every event); none when absent. */
  eventName?: (chunk: T) => string | undefined;
  /** Whether `data: [DONE]` ends the stream (chat completions' convention); default true. */
  done?: boolean;
  /** A chunk's `data`: JSON.stringify unless given (a faster encoder of the same bytes). */
  encode?: (chunk: T) => string;
}

/**
 * Sends the stream's status line and headers: those set on the reply (request id, model headers, CORS) with the
 * stream's own. Should one be refused (Node checks values only now), the client gets 500 UNKNOWN_ERROR with the
 * base headers instead of no answer at all; false then.
 */
function writeStreamHead(reply: FastifyReply): boolean {
  const response = reply.raw;
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = value;
  try {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    return true;
  } catch (error) {
    reply.log.error({ err: error }, 'stream headers could not be written');
    const veniceError = new VeniceError('UNKNOWN_ERROR');
    reply.server.metrics?.error(veniceError.code);
    const body = JSON.stringify(veniceError.toBody());
    response.writeHead(veniceError.status, {
      ...baseHeaders(reply.request.id),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
    return false;
  }
}

/**
 * Writes `chunks` as an SSE stream (`data: <json>\n\n` … `data: [DONE]\n\n`), honouring backpressure.
 * The events made in one turn of the event loop go out in one write (a relay receives a burst of events from one
 * upstream read: one chunked-encoding frame and one syscall for all of them, not one each); the first write, the
 * headers with the first chunks, goes at the end of its tick instead (no turn of the loop added to the time to first
 * token: at 1 request, 2026-12-07, the engine bench's llama-server kind reached 0.935–0.964 of llama-server in two
 * 40-round runs before it, a median 0.964 (0.926–1.008) in five after, bench/README.md).
 * If the client goes away, iteration stops at once (the caller's abort signal frees the engine); that is not an
 * error (no error event, not in rialto_errors_total: abort-on-close.ts counts it). An error after the headers are
 * out is sent as one error event and the stream ends. However it ends, `chunks.return()` is called, so a source
 * that holds a reservation (a closingStream, services/closing-stream.ts) settles or releases it.
 */
export async function writeEventStream<T>(
  reply: FastifyReply,
  chunks: AsyncGenerator<T>,
  toError: (error: unknown) => VeniceError,
  options: EventStreamOptions<T> = {},
): Promise<void> {
  const response = reply.raw;
  reply.hijack();
  const closed = (): boolean => response.destroyed || response.writableEnded;
  const encode = options.encode ?? JSON.stringify;
  const { eventName } = options;
  let pending = '';
  let flushing = false;
  // Set when a write filled the socket's buffer: the next chunk waits for it to drain (or the client to leave).
  let blocked: Promise<void> | undefined;
  const flush = (): void => {
    flushing = false;
    const text = pending;
    pending = '';
    if (text === '' || closed() || response.write(text)) return;
    blocked = new Promise<void>((resolve) => {
      const done = (): void => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
  };
  // Flushed one turn of the event loop later (two setImmediate hops), not on the next tick: the events of one upstream
  // read, the end of the upstream's body (Node emits it on a later tick) and the settlement, whose group commit starts
  // in that turn's check phase (services/billing/group-commit.ts), leave in one write, the response's end.
  const later = (): void => {
    setImmediate(flush);
  };
  // The first write (the headers with the first chunks) goes once the chunks made with it are written (a tick): the
  // client's time to first token waits for no turn of the loop.
  let headSent = false;
  const write = (text: string): void => {
    pending += text;
    if (!flushing) {
      flushing = true;
      if (headSent) setImmediate(later);
      else {
        headSent = true;
        process.nextTick(flush);
      }
    }
  };
  const { metrics, lifecycle } = reply.server;
  let first = true;
  try {
    if (!writeStreamHead(reply)) return;
    for await (const chunk of chunks) {
      if (closed()) break;
      if (first) {
        first = false;
        const model = reply.getHeader('x-venice-model-id');
        if (metrics !== undefined && typeof model === 'string')
          metrics.firstTokenAfter(model, reply.elapsedTime / 1000);
      }
      const name = eventName?.(chunk);
      write(
        name === undefined
          ? `data: ${encode(chunk)}\n\n`
          : `event: ${name}\ndata: ${encode(chunk)}\n\n`,
      );
      if (blocked !== undefined) {
        await blocked;
        blocked = undefined;
      }
    }
    if (options.done !== false) write('data: [DONE]\n\n');
  } catch (error) {
    // The client went away: whatever the engine made of the abort, nobody is there to read an error.
    if (closed()) return;
    // Cut off by a graceful shutdown's deadline (http/lifecycle.ts): say so, whatever the engine made of the abort.
    const veniceError =
      lifecycle?.cutOffReached === true ? new VeniceError('SHUTTING_DOWN') : toError(error);
    metrics?.error(veniceError.code);
    write(streamErrorEvent(veniceError));
  } finally {
    await chunks.return(undefined);
    // What is still pending goes out with the end of the response, in one write.
    const text = pending;
    pending = '';
    if (!closed()) response.end(text);
  }
}
