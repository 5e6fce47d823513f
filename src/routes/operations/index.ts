import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { requireKey } from '../../http/auth.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { KeyService } from '../../services/key-service.ts';
import { ReadinessProbe, type ReadinessDependencies } from '../../services/readiness.ts';
import { readinessDetails } from './readiness-details.ts';

export interface OperationsDependencies {
  config: Config;
  keys: KeyService;
  metrics?: Metrics | undefined;
  readiness: ReadinessDependencies;
}

/** Whether `authorization` presents a valid ADMIN key; a missing, unknown or non-admin key is simply not one. */
async function presentsAdminKey(
  keys: KeyService,
  authorization: string | undefined,
): Promise<boolean> {
  const secret =
    authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (secret === undefined) return false;
  try {
    return (await keys.authenticate(secret)).apiKeyType === 'ADMIN';
  } catch {
    return false;
  }
}

/**
 * Rialto's own endpoints for operators and orchestrators, at the root (not under /api/v1, not in the Venice
 * spec): GET /health (liveness: the process answers), GET /ready (200, or 503 when a component is not ready),
 * GET /metrics (Prometheus text; an ADMIN key when metrics.requireKey). /health and /ready take no key: /ready
 * answers `{status}` alone, and names its components (upstream URLs, processes, paths) only to an ADMIN key.
 */
export function registerOperationsRoutes(
  app: FastifyInstance,
  dependencies: OperationsDependencies,
): void {
  const probe = new ReadinessProbe(dependencies.readiness, dependencies.config.readiness.cacheMs);
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (request, reply) => {
    const { ready, ...components } = await probe.check();
    reply.status(ready ? 200 : 503);
    const status = ready
      ? 'ready'
      : dependencies.readiness.serving()
        ? 'unavailable'
        : 'shutting_down';
    if (!(await presentsAdminKey(dependencies.keys, request.headers.authorization)))
      return { status };
    // The details are the operator's: no other origin's page may read them, whatever server.corsOrigins allows.
    reply.removeHeader('access-control-allow-origin');
    return { status, ...readinessDetails(components) };
  });
  const { metrics, config } = dependencies;
  if (metrics === undefined || !config.metrics.enabled) return;
  const auth = config.metrics.requireKey
    ? { onRequest: requireKey(dependencies.keys, { admin: true }) }
    : {};
  app.get('/metrics', auth, async (_request, reply) => {
    reply.type(metrics.contentType);
    return metrics.render();
  });
}
