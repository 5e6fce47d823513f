// OpenTelemetry spans of a request: the request span (http-hooks.ts) and, beneath it, auth, rate limit,
// reservation, engine and settlement. Each app has its own tracer provider (never the global one); the request
// being served is found through an AsyncLocalStorage, so services open child spans without being handed one.
// Tracing off (`exporter: none`) creates no provider and enters no storage: `traced` is then a getStore()
// that answers undefined and a direct call.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { TracingConfig } from '../config.ts';

export interface Tracing {
  readonly tracer: Tracer;
  /** Sends the spans still buffered and stops; called when the app closes. */
  shutdown(): Promise<void>;
}

/** The span of the request being served and the tracer of its app. */
export interface RequestTrace {
  readonly tracer: Tracer;
  readonly span: Span;
}

const currentRequest = new AsyncLocalStorage<RequestTrace>();

/** Rialto's version (package.json), as service.version. */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/**
 * The configured tracing (OTLP/HTTP JSON batches, or each span printed), or undefined when it is off. The SDK and its
 * exporter (about 240 modules) are loaded only when tracing is on.
 */
export async function createTracing(
  config: TracingConfig,
  hostName: string,
): Promise<Tracing | undefined> {
  if (config.exporter === 'none') return undefined;
  const [
    { OTLPTraceExporter },
    { resourceFromAttributes },
    {
      BasicTracerProvider,
      BatchSpanProcessor,
      ConsoleSpanExporter,
      ParentBasedSampler,
      SimpleSpanProcessor,
      TraceIdRatioBasedSampler,
    },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const spanProcessor =
    config.exporter === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(
          new OTLPTraceExporter(config.endpoint === undefined ? {} : { url: config.endpoint }),
        );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'rialto',
      'service.version': VERSION,
      'host.name': hostName,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [spanProcessor],
  });
  return { tracer: provider.getTracer('rialto', VERSION), shutdown: () => provider.shutdown() };
}

/** Runs `work` (the rest of a request's hooks and its handler) as part of `request`. */
export function runInRequest(request: RequestTrace, work: () => void): void {
  currentRequest.run(request, work);
}

/** Marks a span failed with the error's code or class, never its message (it may quote the request). */
export function failSpan(span: Span, error: unknown): void {
  // A Venice error's code, an engine error's failure kind, else the class.
  const type = !(error instanceof Error)
    ? 'error'
    : 'code' in error && typeof error.code === 'string'
      ? error.code
      : 'failure' in error && typeof error.failure === 'string'
        ? error.failure
        : error.name;
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  span.setAttribute('error.type', type);
}

function childSpan(request: RequestTrace, name: string): Span {
  return request.tracer.startSpan(name, {}, trace.setSpan(ROOT_CONTEXT, request.span));
}

/**
 * Runs `work` in a child span of the current request's span, ended when `work` settles (failed if it throws).
 * Outside a traced request, `work` runs with no span.
 */
export function traced<T>(name: string, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  const request = currentRequest.getStore();
  return request === undefined ? work(undefined) : inSpan(childSpan(request, name), work);
}

async function inSpan<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * `source`'s items in a child span of the current request's span, from the first item asked for to the last
 * (or the failure, or the consumer leaving); `annotate` is called once with no item when the span starts, then
 * with each item. Outside a traced request, `source` itself.
 */
export function tracedEvents<T>(
  name: string,
  source: AsyncIterable<T>,
  annotate: (span: Span, item?: T) => void,
): AsyncIterable<T> {
  const request = currentRequest.getStore();
  return request === undefined ? source : eventsInSpan(request, name, source, annotate);
}

async function* eventsInSpan<T>(
  request: RequestTrace,
  name: string,
  source: AsyncIterable<T>,
  annotate: (span: Span, item?: T) => void,
): AsyncGenerator<T> {
  const span = childSpan(request, name);
  annotate(span);
  try {
    for await (const item of source) {
      annotate(span, item);
      yield item;
    }
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}
