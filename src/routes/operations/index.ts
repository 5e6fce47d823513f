import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { requireKey } from '../../http/auth.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { KeyService } from '../../services/key-service.ts';
import { checkReadiness, type ReadinessDependencies } from '../../services/readiness.ts';

export interface OperationsDependencies {
  config: Config;
  keys: KeyService;
  metrics?: Metrics | undefined;
  readiness: ReadinessDependencies;
}

/**
 * Rialto's own endpoints for operators and orchestrators, at the root (not under /api/v1, not in the Venice
 * spec): GET /health (liveness: the process answers), GET /ready (200, or 503 with the component that is not
 * ready), GET /metrics (Prometheus text; an ADMIN key when metrics.requireKey). /health and /ready take no key.
 */
export function registerOperationsRoutes(app: FastifyInstance, dependencies: OperationsDependencies): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const { ready, ...components } = await checkReadiness(dependencies.readiness);
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : dependencies.readiness.serving() ? 'unavailable' : 'shutting_down', ...components };
  });
  const { metrics, config } = dependencies;
  if (metrics === undefined || !config.metrics.enabled) return;
  const auth = config.metrics.requireKey ? { onRequest: requireKey(dependencies.keys, { admin: true }) } : {};
  app.get('/metrics', auth, async (_request, reply) => {
    reply.type(metrics.contentType);
    return metrics.render();
  });
}
