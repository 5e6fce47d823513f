import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { clientGone, toClientError } from '../http/error-renderer.ts';
import type { Metrics, RouteMetrics } from './metrics.ts';
import { failSpan, runInRequest, type RequestTrace, type Tracing } from './tracing.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics; set by observeRequests when they are on. */
    metrics?: Metrics;
  }
  interface FastifyRequest {
    /** The request's span; set by observeRequests when tracing is on. */
    trace?: RequestTrace | undefined;
  }
}

export interface RequestObservers {
  metrics?: Metrics | undefined;
  tracing?: Tracing | undefined;
  /** Log JSON request bodies (prompts) at debug level (config logging.includeContent). */
  includeContent: boolean;
}

function withHook<Hook>(existing: Hook | Hook[] | undefined, hook: Hook): Hook[] {
  return existing === undefined
    ? [hook]
    : Array.isArray(existing)
      ? [...existing, hook]
      : [existing, hook];
}

/**
 * Counts every route's requests, opens each request's span and logs request content when the operator asked.
 * Call before any route or plugin is registered: the per-route hooks are added as routes are (onRoute), so
 * a response costs a Map lookup and two adds, with no label object made (metrics.ts).
 */
export function observeRequests(app: FastifyInstance, observers: RequestObservers): void {
  const { metrics, tracing } = observers;
  if (metrics !== undefined) {
    app.decorate('metrics', metrics);
    app.addHook('onRoute', (route: RouteOptions) => {
      const byMethod = new Map<string, RouteMetrics>();
      const of = (method: string): RouteMetrics => {
        let found = byMethod.get(method);
        if (found === undefined) byMethod.set(method, (found = metrics.route(route.url, method)));
        return found;
      };
      // A response that never finished (the client left mid-stream) is counted by abort-on-close.ts instead.
      route.onResponse = withHook(
        route.onResponse,
        (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
          of(request.method).observe(reply.statusCode, reply.elapsedTime / 1000);
          done();
        },
      );
    });
    // A client gone before its answer got no error: it is counted as a disconnect (abort-on-close.ts) instead.
    app.addHook('onError', (_request, reply, error, done) => {
      if (!clientGone(reply)) metrics.error(toClientError(error).veniceError.code);
      done();
    });
  }
  if (tracing !== undefined) traceRequests(app, tracing);
  if (observers.includeContent) {
    app.addHook('preHandler', (request, _reply, done) => {
      if (
        request.body !== undefined &&
        request.headers['content-type']?.startsWith('application/json') === true
      )
        request.log.debug({ body: request.body }, 'request content');
      done();
    });
  }
}

/** A span per request, from its arrival to the end of its response; its hooks and handler run inside it. */
function traceRequests(app: FastifyInstance, { tracer }: Tracing): void {
  app.decorateRequest('trace', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'http.route': route,
        'rialto.request_id': request.id,
      },
    });
    request.trace = { tracer, span };
    // `close` comes whether the response finished or the client left mid-way (no onResponse then).
    reply.raw.once('close', () => {
      const model = reply.getHeader('x-venice-model-id');
      if (typeof model === 'string') span.setAttribute('rialto.model', model);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (!reply.raw.writableFinished) span.setAttribute('rialto.client_aborted', true);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    runInRequest(request.trace, done);
  });
  // Body parsing runs outside the request's async context: the handler is put back in it.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.trace === undefined) done();
    else runInRequest(request.trace, done);
  });
  app.addHook('onError', (request, _reply, error, done) => {
    const { veniceError } = toClientError(error);
    request.trace?.span.setAttribute('rialto.error_code', veniceError.code);
    if (request.trace !== undefined && veniceError.status >= 500)
      failSpan(request.trace.span, veniceError);
    done();
  });
}
