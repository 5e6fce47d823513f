import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An AbortSignal that fires when the client disconnects before the response is complete, so engines
 * stop work nobody will read (a llama.cpp sequence is freed at once; an upstream request is cancelled).
 * The response's `close` before `writableFinished` is Node's signal that the connection went away.
 */
export function abortOnClose(_request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
