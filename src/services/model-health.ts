import type { Logger } from 'pino';
import { redactUrlCredentials } from '../observability/url-redaction.ts';
import type { ModelEntry, ModelRegistry } from './model-registry.ts';

/** Where a model's engine sends its requests, credentials redacted; undefined for an engine that runs here. */
export function upstreamOf(entry: ModelEntry): string | undefined {
  const engine = entry.config.engine as { endpoints?: { url: string }[] };
  return engine.endpoints === undefined
    ? undefined
    : redactUrlCredentials(engine.endpoints.map((endpoint) => endpoint.url).join(', '));
}

export interface ModelHealthOptions {
  /** How often every engine is asked (default 15 s). */
  intervalMs?: number;
  /** How long one engine's check may take (default 3 s). */
  timeoutMs?: number;
}

/**
 * Asks every model's engine whether it can serve, now and every intervalMs, and tells the registry, so that
 * `default` and the other traits go to a model that can serve. Logs once per change of state: a model going down
 * at warn (model, upstream, reason), coming back at info, and which model `default` now names for text.
 */
export class ModelHealthMonitor {
  private readonly known = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private textDefault: string | undefined;
  private closed = false;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly logger: Logger,
    private readonly options: ModelHealthOptions = {},
  ) {}

  /** Checks every model once (a check already running is joined, not repeated). */
  check(): Promise<void> {
    this.running ??= this.checkAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks now and then every intervalMs until closed. */
  async start(): Promise<void> {
    await this.check();
    if (this.closed) return;
    this.timer = setInterval(() => {
      void this.check();
    }, this.options.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async checkAll(): Promise<void> {
    const entries = this.registry.entries;
    const results = await Promise.all(
      entries.map(async (entry) => {
        try {
          return await entry.engine.checkHealth(
            AbortSignal.timeout(this.options.timeoutMs ?? 3000),
          );
        } catch (error) {
          return { healthy: false, detail: (error as Error).message };
        }
      }),
    );
    if (this.closed) return;
    entries.forEach((entry, index) => {
      const { healthy, detail } = results[index]!;
      // A model removed while it was checked (its GGUF deleted) is not reported.
      if (!this.registry.entries.includes(entry)) return;
      this.registry.setServing(entry.config.id, healthy);
      const before = this.known.get(entry.config.id);
      this.known.set(entry.config.id, healthy);
      if (before === healthy || (before === undefined && healthy)) return;
      const fields = {
        model: entry.config.id,
        engine: entry.config.engine.kind,
        upstream: upstreamOf(entry),
        reason: redactUrlCredentials(detail),
      };
      if (healthy) this.logger.info(fields, `Model ${entry.config.id} can serve again`);
      else
        this.logger.warn(
          fields,
          `Model ${entry.config.id} cannot serve ${before === undefined ? 'yet' : 'now'}: ${fields.reason}${fields.upstream === undefined ? '' : '. Start that server, or bring a GGUF to the models folder'}`,
        );
    });
    for (const id of this.known.keys())
      if (!this.registry.entries.some((entry) => entry.config.id === id)) this.known.delete(id);
    this.reportDefault();
  }

  /** Logs which model `default` names for text when that changes (and the first time). */
  reportDefault(): void {
    const chosen = this.registry.traits('text').default;
    if (chosen === this.textDefault) return;
    const previous = this.textDefault;
    this.textDefault = chosen;
    if (chosen === undefined) {
      this.logger.warn('no text model: model "default" answers 404 until one is added');
      return;
    }
    const entry = this.registry.entries.find((candidate) => candidate.config.id === chosen);
    const claimed = entry?.config.traits.includes('default') === true;
    const serving = entry !== undefined && this.registry.isServing(entry);
    this.logger.info(
      { model: chosen, previous, claimed, serving },
      `model "default" is ${chosen}${claimed ? '' : ' (the first text model that can serve)'}`,
    );
  }
}
