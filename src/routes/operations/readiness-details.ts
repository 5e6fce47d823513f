import { redactUrlCredentials } from '../../observability/url-redaction.ts';
import type { ComponentHealth, Readiness } from '../../services/readiness.ts';

function redacted(health: ComponentHealth): ComponentHealth {
  return { healthy: health.healthy, detail: redactUrlCredentials(health.detail) };
}

/**
 * /ready's components as an ADMIN key sees them: every detail with URL passwords redacted, whichever engine
 * wrote it (the engines redact their own too; this holds for one that forgets).
 */
export function readinessDetails(components: Omit<Readiness, 'ready'>): Omit<Readiness, 'ready'> {
  return {
    store: redacted(components.store),
    limiter: redacted(components.limiter),
    models: Object.fromEntries(
      Object.entries(components.models).map(([id, health]) => [id, redacted(health)]),
    ),
  };
}
