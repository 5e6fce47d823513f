import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { ModelRegistry } from '../../services/model-registry.ts';

/** As long as serve.ts gives an engine at start: an upstream slower than this is reported unhealthy. */
const HEALTH_TIMEOUT_MS = 3000;

/**
 * GET /admin/engines: every configured model's engine health, checked now and in parallel
 * (Engine.checkHealth never throws; a check past the timeout reports the abort as its detail).
 */
export function registerListEngines(
  app: FastifyInstance,
  registry: ModelRegistry,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/engines', { onRequest: auth }, async () => {
    const data = await Promise.all(
      registry.entries.map(async ({ config, engine }) => {
        const started = performance.now();
        const { healthy, detail } = await engine.checkHealth(
          AbortSignal.timeout(HEALTH_TIMEOUT_MS),
        );
        return {
          modelId: config.id,
          type: config.type,
          engine: engine.kind,
          healthy,
          detail,
          latencyMs: Math.round(performance.now() - started),
        };
      }),
    );
    return { object: 'list', checkedAt: new Date().toISOString(), data };
  });
}
