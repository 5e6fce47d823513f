import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An AbortSignal that fires when the client disconnects before the response is complete, so engines
 * stop work nobody will read (a llama.cpp sequence is freed at once; an upstream request is cancelled).
 */
export function abortOnClose(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  };
  request.raw.once('close', () => { if (request.raw.destroyed || request.raw.errored) onClose(); });
  reply.raw.once('close', onClose);
  return controller.signal;
}
