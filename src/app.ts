import compress from '@fastify/compress';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Socket } from 'node:net';
import type { Config } from './config.ts';
import { VeniceError } from './errors/venice-error.ts';
import { requireKey } from './http/auth.ts';
import { billedKey } from './http/request-billing.ts';
import { multipartBodyLimit } from './http/multipart-body-limit.ts';
import { jsonBodyTooDeep } from './http/json-body-depth.ts';
import { logClientError, renderFrameworkError, toClientError } from './http/error-renderer.ts';
import { baseHeaders, headerValue, newRequestId } from './http/response-headers.ts';
import { registerApiKeyRoutes } from './routes/api-keys/index.ts';
import { registerGenerateWeb3Key } from './routes/api-keys/generate-web3-key.ts';
import { registerAudioRoutes } from './routes/audio/index.ts';
import { registerRateLimitRoutes } from './routes/api-keys/rate-limits.ts';
import { registerBillingRoutes } from './routes/billing/index.ts';
import { registerCharacterRoutes } from './routes/characters/index.ts';
import { registerChatRoutes } from './routes/chat/index.ts';
import { registerResponsesRoutes } from './routes/responses/index.ts';
import { registerEmbeddingRoutes } from './routes/embeddings/index.ts';
import { registerImageRoutes } from './routes/image/index.ts';
import { registerJobRoutes } from './routes/jobs/index.ts';
import { registerAugmentRoutes } from './routes/augment/index.ts';
import { registerCryptoRoutes } from './routes/crypto/index.ts';
import { registerDownloadRoutes } from './routes/jobs/download.ts';
import { registerModelRoutes } from './routes/models/index.ts';
import { registerAdminRoutes } from './routes/admin/index.ts';
import { registerConsoleRoutes } from './routes/console/index.ts';
import { registerOperationsRoutes } from './routes/operations/index.ts';
import { ServerLifecycle } from './http/lifecycle.ts';
import { walletRateLimitKey } from './services/wallets/wallet-id.ts';
import { observeRequests } from './observability/http-hooks.ts';
import { REDACTED_PATHS, requestLogSerializer } from './observability/log-redaction.ts';
import { Metrics } from './observability/metrics.ts';
import { createTracing } from './observability/tracing.ts';
import { lazyChildLogger } from './observability/lazy-child-logger.ts';
import { composeServices, type Services } from './compose.ts';
import type { KeyService } from './services/key-service.ts';
import type { Meter } from './services/billing/meter.ts';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';
import type { ModelRegistry } from './services/model-registry.ts';
import type { JobService } from './services/jobs/job-service.ts';
import type { Store } from './storage/store.ts';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  store: Store;
  keys: KeyService;
  registry: ModelRegistry;
  meter: Meter;
  /** The rate limiter, when limits are on; its abuse rule counts every failed authenticated response. */
  limiter?: RateLimiter;
  /** The async job lifecycle (video, music). */
  jobs?: JobService;
  /** The metrics the meter also counts into (admissions, tokens); one is made when absent. */
  metrics?: Metrics;
  /** The services the routes use (compose.ts); composed from the above when absent. The app closes them. */
  services?: Services;
}

/** Headers a browser client may read (CORS). */
const EXPOSED_HEADERS = [
  'cf-ray',
  'x-request-id',
  'x-venice-version',
  'x-venice-timestamp',
  'x-venice-host-name',
  'x-venice-model-id',
  'x-venice-model-name',
  'x-venice-model-router',
  'x-venice-model-deprecation-warning',
  'x-venice-model-deprecation-date',
  'x-venice-deprecated',
  'x-venice-deprecated-replacement',
  'x-venice-balance-usd',
  'x-venice-balance-diem',
  'x-venice-rpc-credits',
  'x-venice-rpc-cost-usd',
  'idempotent-replayed',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'x-ratelimit-type',
  'retry-after',
  // x402 (INVENTORY §3.3)
  'x-balance-remaining',
  'payment-required',
  'payment-response',
];

/** How often Node looks for connections past their headers or request timeout: a quarter of the shorter (0 is off), within 50 ms .. 30 s. */
function connectionsCheckingIntervalOf(server: {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}): number {
  const limits = [server.headersTimeoutMs, server.requestTimeoutMs].filter((limit) => limit > 0);
  return limits.length === 0
    ? 30_000
    : Math.min(30_000, Math.max(50, Math.floor(Math.min(...limits) / 4)));
}

/** Builds the HTTP app: hooks, the one error handler, and every route under /api/v1. */
export async function createApp(dependencies: AppDependencies): Promise<FastifyInstance> {
  const { config, logger, keys, registry, meter, limiter } = dependencies;
  const services = dependencies.services ?? composeServices(dependencies);
  const app = Fastify({
    // No request header that carries a key, nor a download link's token, reaches a log line (observability/log-redaction.ts).
    loggerInstance: logger.child(
      {},
      {
        serializers: { req: requestLogSerializer },
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      },
    ) as FastifyBaseLogger,
    // Each request's pino child is made when something logs through it, not for every request.
    childLoggerFactory: lazyChildLogger,
    genReqId: newRequestId,
    requestIdHeader: false,
    bodyLimit: config.server.bodyLimit,
    // Slowloris: a request whose headers, or whole body, arrive too slowly is answered 408 and its connection closed.
    // Node checks its connections every connectionsCheckingInterval (30 s by default): a quarter of the shorter limit.
    requestTimeout: config.server.requestTimeoutMs,
    http: {
      requestTimeout: config.server.requestTimeoutMs,
      headersTimeout: config.server.headersTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalOf(config.server),
    },
    // Per-request log lines only at debug: on the hot path they cost more than the routing itself.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    return503OnClosing: true,
    // Path parameters are their routes' to judge (a 6,000-character slug is a character not found), not Fastify's
    // bare 414 past 100 characters; Node's 16 KB header limit bounds them anyway.
    routerOptions: { maxParamLength: 16_384 },
    frameworkErrors: renderFrameworkError,
  });
  // Only JSON bodies are accepted unless a route registers its own parser: anything else is a 415.
  // An empty JSON body reads as no body (a GET with a stray Content-Type is not a client error).
  app.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else
      parseJson(request, body.toString(), (error, value) =>
        done(error ?? jsonBodyTooDeep(value) ?? null, value),
      );
  });

  // On close, Fastify drops the keep-alive connections idle at that moment; one whose request is still being
  // answered then would otherwise stay open until keepAliveTimeout (72 s) once it goes idle, delaying the close.
  // A connection that has sent nothing yet (a client's or browser's preconnect) is not idle to Node (its first
  // request's headersTimeout runs): it would hold the close for server.headersTimeoutMs, so it is closed too.
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  let closingIdle: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    const closeIdle = (): void => {
      app.server.closeIdleConnections();
      for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
    };
    closeIdle();
    closingIdle = setInterval(closeIdle, 50);
  });
  app.addHook('onClose', async () => clearInterval(closingIdle));

  // Before CORS, whose preflight answers end the request in their own hook.
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(baseHeaders(request.id));
  });
  // server.bodyLimit holds for multipart bodies too (Fastify enforces it on the bodies it parses itself).
  app.addHook('preParsing', multipartBodyLimit(config.server.bodyLimit));
  // Metrics, spans and content logs of every route registered from here on (observability/http-hooks.ts).
  const lifecycle = new ServerLifecycle();
  app.decorate('lifecycle', lifecycle);
  const metrics = config.metrics.enabled ? (dependencies.metrics ?? new Metrics()) : undefined;
  metrics?.watch({
    engines: () =>
      registry.entries.flatMap((entry) =>
        entry.engine.load === undefined
          ? []
          : [{ model: entry.config.id, load: entry.engine.load() }],
      ),
    reservations: () => meter.openReservations,
  });
  const tracing = await createTracing(config.tracing, config.server.hostName);
  if (tracing !== undefined) app.addHook('onClose', () => tracing.shutdown());
  observeRequests(app, { metrics, tracing, includeContent: config.logging.includeContent });
  await app.register(cors, {
    origin: config.server.corsOrigins === '*' ? '*' : config.server.corsOrigins,
    // One string, not the array: @fastify/cors joins an array on every response (a 0.5 KB string per open stream).
    exposedHeaders: EXPOSED_HEADERS.join(', '),
    maxAge: 600,
  });
  // swagger: Accept-Encoding gzip/br gives Content-Encoding on JSON answers, whatever their size.
  await app.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 0 });

  // docs/api-reference/rate-limiting.mdx: more than 20 failed (non-2xx) requests in 30 s block the key for 30 s.
  if (limiter !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode >= 200 && reply.statusCode < 300) return;
      // A signed-in wallet's failures count against the wallet (its limiter key) as a key's do.
      const subject =
        request.apiKey?.id ??
        (request.signedInWallet === undefined
          ? undefined
          : walletRateLimitKey(request.signedInWallet.wallet));
      if (subject !== undefined) {
        await limiter
          .recordFailure(subject)
          .catch((error: unknown) =>
            request.log.warn({ err: error }, 'could not count a failed request'),
          );
      }
    });
  }

  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toClientError(error);
    // Cut off by a graceful shutdown's deadline (http/lifecycle.ts): say so rather than blame the engine.
    const { veniceError, unexpected } =
      lifecycle.cutOffReached && mapped.veniceError.status >= 500
        ? { veniceError: new VeniceError('SHUTTING_DOWN'), unexpected: false }
        : mapped;
    logClientError(request, reply, error, veniceError, unexpected, config.logging.includeContent);
    reply.headers(veniceError.headers);
    reply.header('x-venice-host-name', headerValue(config.server.hostName));
    return reply.status(veniceError.status).send(veniceError.toBody());
  });

  app.setNotFoundHandler(async (request, reply) => {
    metrics?.notFound(request.method, reply.elapsedTime / 1000);
    throw new VeniceError('ROUTE_NOT_FOUND');
  });

  // Every inference route gets its key and its request's Billing here, once (http/request-billing.ts).
  const keyed = billedKey(
    requireKey(keys, { balances: (accountId) => services.accounts.balances(accountId) }),
    meter,
  );
  app.addHook('onClose', async () => services.close());
  // x402 wallets (config wallets:, docs/wallets.md): their code (viem, @x402, siwe) is loaded only when wallets or
  // wallet-minted keys are on; SIWx's origin defaults to the listening address.
  const wallets =
    config.wallets.enabled || config.wallets.web3Keys?.enabled === true
      ? (await import('./services/wallets/wallet-composition.ts')).composeWallets(
          config,
          { store: dependencies.store, keys, limiter, metrics },
          keyed,
          () => {
            const address = app.server.address();
            return typeof address === 'object' && address !== null
              ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
              : `http://${config.server.host}:${config.server.port}`;
          },
        )
      : undefined;
  if (wallets !== undefined) app.addHook('onClose', () => wallets.close());
  // Inference and async jobs (which belong to their key's account or to the signed-in wallet: JobOwner).
  const inference = wallets?.auth ?? keyed;
  const { characters, chat, embeddings, search, scrape, parsers } = services;
  // The same API under /api/v1 (Venice's path) and /v1 (the base many OpenAI clients and tools assume).
  const apiRoutes = async (api: FastifyInstance): Promise<void> => {
    registerModelRoutes(api, registry);
    registerApiKeyRoutes(api, keys);
    registerGenerateWeb3Key(api, wallets?.web3Keys);
    registerRateLimitRoutes(api, { config, keys, accounts: services.accounts, registry, limiter });
    registerBillingRoutes(api, services);
    registerCharacterRoutes(api, characters, keys);
    registerChatRoutes(api, chat, inference);
    registerResponsesRoutes(api, { responses: services.responses, auth: inference });
    registerEmbeddingRoutes(api, embeddings, inference);
    registerAudioRoutes(api, { ...services, auth: inference });
    registerAugmentRoutes(api, {
      search,
      scrape,
      auth: inference,
      pricing: config.augment.pricing,
      parsers,
    });
    registerImageRoutes(api, { ...services, auth: inference });
    registerCryptoRoutes(api, { cryptoRpc: services.cryptoRpc, auth: inference });
    registerAdminRoutes(api, services);
    if (dependencies.jobs !== undefined)
      registerJobRoutes(api, {
        jobs: dependencies.jobs,
        registry,
        videoTranscription: services.videoTranscription,
        auth: inference,
        publicUrl: config.server.publicUrl?.replace(/\/+$/, ''),
      });
    wallets?.registerRoutes(api);
  };
  await app.register(apiRoutes, { prefix: '/api/v1' });
  await app.register(apiRoutes, { prefix: '/v1' });
  if (dependencies.jobs !== undefined) registerDownloadRoutes(app, dependencies.jobs);
  registerOperationsRoutes(app, {
    config,
    keys,
    metrics,
    readiness: { store: dependencies.store, limiter, registry, serving: () => lifecycle.serving },
  });
  registerConsoleRoutes(app);
  app.get('/', async (_request, reply) => reply.redirect('/console/'));

  return app;
}
