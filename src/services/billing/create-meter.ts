import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { RateLimiter } from '../../rate-limit/rate-limiter.ts';
import type { Store } from '../../storage/store.ts';
import { Meter } from './meter.ts';

/** The Meter `config.billing` describes: reservation leases, and budget leases when enabled. */
export function createMeter(
  config: Config,
  store: Store,
  limiter: RateLimiter | undefined,
  metrics: Metrics | undefined,
  logger: Logger,
): Meter {
  const leases = config.billing.budgetLeases;
  return new Meter(store, limiter, {
    leaseSeconds: config.billing.leaseSeconds,
    ...(metrics === undefined ? {} : { metrics }),
    ...(leases.enabled
      ? {
          leases: {
            worstCases: leases.worstCases,
            minimumWorstCases: Math.min(leases.minimumWorstCases, leases.worstCases),
            flushMs: leases.flushMs,
            idleMs: leases.idleSeconds * 1000,
          },
          onLeaseTrouble: ({ lost, error }) => {
            if (lost !== undefined)
              logger.error(
                lost,
                'a budget lease was gone when its charges were written: not charged',
              );
            if (error !== undefined)
              logger.error({ err: error }, 'writing budget lease charges failed; kept, retried');
          },
        }
      : {}),
  });
}
