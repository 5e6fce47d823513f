import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An AbortSignal that fires when the client disconnects before the response is complete, so engines
 * stop work nobody will read (a llama.cpp sequence is freed at once; an upstream request is cancelled).
 * The response's `close` before `writableFinished` is Node's signal that the connection went away.
 */
export function abortOnClose(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // A graceful shutdown aborts the calls still open at its deadline (http/lifecycle.ts).
  const lifecycle = request.server.lifecycle;
  lifecycle?.opened(controller);
  reply.raw.once('close', () => {
    lifecycle?.closed(controller);
    if (reply.raw.writableFinished) return;
    controller.abort(new Error('client disconnected'));
    // Fastify's onResponse never runs for it: counted here, as 499 (observability/metrics.ts).
    request.server.metrics
      ?.route(request.routeOptions.url ?? 'unmatched', request.method)
      .aborted();
  });
  return controller.signal;
}
