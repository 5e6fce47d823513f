import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import type { Store } from '../storage/store.ts';
import type { ModelRegistry } from './model-registry.ts';

/** One dependency's state: whether it answered, and what it said (never a credential). */
export interface ComponentHealth {
  healthy: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  store: ComponentHealth;
  limiter: ComponentHealth;
  /** Each model's engine, by model id (Engine.checkHealth). */
  models: Record<string, ComponentHealth>;
}

export interface ReadinessDependencies {
  store: Store;
  limiter?: RateLimiter | undefined;
  registry: ModelRegistry;
  /** False once a graceful shutdown began. */
  serving: () => boolean;
}

/** `check`, or unhealthy with its error or timeout as the detail. */
async function probe(
  check: (signal: AbortSignal) => Promise<string>,
  timeoutMs: number,
): Promise<ComponentHealth> {
  const signal = AbortSignal.timeout(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return { healthy: true, detail: await Promise.race([check(signal), timedOut]) };
  } catch (error) {
    return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /ready: the store answers a trivial query, the limiter its store (Redis: PING), and every model's engine
 * its health check, all in parallel and each within `timeoutMs`. Not ready while shutting down.
 */
export async function checkReadiness(
  dependencies: ReadinessDependencies,
  timeoutMs = 2000,
): Promise<Readiness> {
  const { store, limiter, registry } = dependencies;
  const [storeHealth, limiterHealth, ...models] = await Promise.all([
    probe(async () => {
      await store.accounts.find('readiness-probe');
      return 'answers';
    }, timeoutMs),
    probe(async () => {
      if (limiter === undefined) return 'rate limits off';
      if (limiter.ping === undefined) return 'in process';
      await limiter.ping();
      return 'answers';
    }, timeoutMs),
    ...registry.entries.map((entry) =>
      probe(async (signal) => {
        const { healthy, detail } = await entry.engine.checkHealth(signal);
        if (!healthy) throw new Error(detail);
        return detail;
      }, timeoutMs),
    ),
  ]);
  const modelHealth = Object.fromEntries(
    registry.entries.map((entry, index) => [entry.config.id, models[index]!]),
  );
  const components = { store: storeHealth!, limiter: limiterHealth!, models: modelHealth };
  return { ready: dependencies.serving() && componentsHealthy(components), ...components };
}

/** Whether every component answered; readiness also needs the process serving. */
function componentsHealthy(readiness: Omit<Readiness, 'ready'>): boolean {
  return (
    readiness.store.healthy &&
    readiness.limiter.healthy &&
    Object.values(readiness.models).every((model) => model.healthy)
  );
}

/**
 * GET /ready's probes, shared: a check within `cacheMs` of the last one's answer, or while one runs, gets that
 * one's components, so a flood of /ready calls reaches each upstream at most once per `cacheMs` (config
 * readiness.cacheMs). Whether the process is serving is read at each call (a shutdown shows at once).
 */
export class ReadinessProbe {
  private running: Promise<Readiness> | undefined;
  private last: { readiness: Readiness; until: number } | undefined;

  constructor(
    private readonly dependencies: ReadinessDependencies,
    private readonly cacheMs: number,
    private readonly timeoutMs = 2000,
  ) {}

  async check(): Promise<Readiness> {
    const last = this.last;
    const readiness =
      last !== undefined && performance.now() < last.until ? last.readiness : await this.probe();
    return { ...readiness, ready: this.dependencies.serving() && componentsHealthy(readiness) };
  }

  private probe(): Promise<Readiness> {
    this.running ??= checkReadiness(this.dependencies, this.timeoutMs)
      .then((readiness) => {
        this.last = { readiness, until: performance.now() + this.cacheMs };
        return readiness;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
