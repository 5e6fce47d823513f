import type { OpenAiCompatibleEngineConfig } from '../../config.ts';
import { bearer, UpstreamEndpoint, type Authorization } from './upstream-endpoint.ts';

export { UpstreamEndpoint } from './upstream-endpoint.ts';

/** What a health probe of one endpoint found wrong, or undefined when nothing. */
export type EndpointProbe = (
  endpoint: UpstreamEndpoint,
  signal: AbortSignal,
) => Promise<string | undefined>;

/**
 * The endpoints of one model. `order()` gives the endpoints to try for a request: healthy ones first,
 * by smooth weighted round robin, then ejected ones (as a last resort, so one flapping endpoint never
 * makes the model unavailable while another might answer).
 */
export class UpstreamPool {
  readonly endpoints: UpstreamEndpoint[];
  private readonly current: number[];

  /** Any engine whose upstream has endpoints, a timeout and a connection cap (openai-compatible, automatic1111, venice). */
  constructor(
    config: Pick<OpenAiCompatibleEngineConfig, 'endpoints' | 'maxConnections' | 'timeoutMs'>,
    authorize: Authorization = bearer,
  ) {
    this.endpoints = config.endpoints.map(
      (endpoint) =>
        new UpstreamEndpoint(
          endpoint.url,
          endpoint.apiKey,
          endpoint.weight,
          endpoint.name,
          config,
          endpoint,
          authorize,
        ),
    );
    this.current = this.endpoints.map(() => 0);
  }

  order(now = Date.now()): UpstreamEndpoint[] {
    const healthy = this.endpoints.filter((endpoint) => endpoint.healthy(now));
    const candidates = healthy.length > 0 ? healthy : this.endpoints;
    // Smooth weighted round robin (as nginx does): raise every weight, pick the largest, lower it by the total.
    const total = candidates.reduce((sum, endpoint) => sum + endpoint.weight, 0);
    let best = 0;
    for (const [position, endpoint] of this.endpoints.entries()) {
      if (!candidates.includes(endpoint)) continue;
      this.current[position]! += endpoint.weight;
      if (
        !candidates.includes(this.endpoints[best]!) ||
        this.current[position]! > this.current[best]!
      )
        best = position;
    }
    this.current[best]! -= total;
    const first = this.endpoints[best]!;
    return [
      first,
      ...candidates.filter((endpoint) => endpoint !== first),
      ...this.endpoints.filter((endpoint) => !candidates.includes(endpoint)),
    ];
  }

  /** Runs `probe` on every endpoint at once: healthy when none found a problem; otherwise the detail names each. */
  async checkEach(
    signal: AbortSignal,
    probe: EndpointProbe,
  ): Promise<{ healthy: boolean; detail: string }> {
    const results = await Promise.all(
      this.endpoints.map(async (endpoint) => {
        try {
          return await probe(endpoint, signal);
        } catch (error) {
          return `${endpoint.shownUrl} is not reachable (${error instanceof Error ? error.message : String(error)})`;
        }
      }),
    );
    const problems = results.filter((problem) => problem !== undefined);
    return {
      healthy: problems.length === 0,
      detail: problems.length === 0 ? 'every endpoint answers' : problems.join('; '),
    };
  }

  /**
   * GET <endpoint>/models on every endpoint with its key, the call every OpenAI-compatible server answers:
   * healthy when each answers a status `healthy` accepts (below 500 unless the engine says otherwise).
   */
  checkModels(
    signal: AbortSignal,
    healthy: (status: number) => boolean = (status) => status < 500,
  ): Promise<{ healthy: boolean; detail: string }> {
    return this.checkEach(signal, async (endpoint) => {
      const response = await endpoint.pool.request({
        method: 'GET',
        path: `${endpoint.basePath}/models`,
        headers: endpoint.authorization,
        signal,
      });
      await response.body.dump();
      return healthy(response.statusCode)
        ? undefined
        : `${endpoint.shownUrl} answered ${response.statusCode}`;
    });
  }

  /** Requests open on the endpoints' connections, those waiting for one, and the connections allowed (undici's pool stats). */
  load(): { active: number; queued: number; capacity: number } {
    let active = 0;
    let queued = 0;
    let capacity = 0;
    for (const endpoint of this.endpoints) {
      const { running, size } = endpoint.connections.stats;
      active += running;
      queued += size - running;
      capacity += endpoint.options.maxConnections;
    }
    return { active, queued, capacity };
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((endpoint) => endpoint.pool.close()));
  }
}
