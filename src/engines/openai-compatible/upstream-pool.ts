import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import type { OpenAiCompatibleEngineConfig } from '../../config.ts';
import { redactUrlCredentials } from '../../observability/url-redaction.ts';

/** How one endpoint is reached, beyond its URL (the endpoint options of rialto.yaml). */
export interface EndpointTransport {
  http2?: boolean | undefined;
  maxStreamsPerConnection?: number | undefined;
  caFile?: string | undefined;
}

/** One upstream base URL with its connection pool and health. */
export class UpstreamEndpoint {
  /** What requests go through (the connection pool, or it composed for HTTP/2). */
  readonly pool: Dispatcher;
  /** The connection pool itself (its stats). */
  readonly connections: Pool;
  readonly label: string;
  /** The URL as answers and logs show it: its password, if any, redacted (observability/log-redaction.ts). */
  readonly shownUrl: string;
  readonly basePath: string;
  private failures = 0;
  private ejectedUntil = 0;

  constructor(readonly url: string, readonly apiKey: string | undefined, readonly weight: number, name: string | undefined, readonly options: { maxConnections: number; timeoutMs: number }, transport: EndpointTransport = {}) {
    const parsed = new URL(url);
    this.label = name ?? parsed.host;
    this.shownUrl = redactUrlCredentials(url);
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    // A private CA adds to Node's bundled roots rather than replacing them.
    const ca = transport.caFile === undefined ? undefined : [...rootCertificates, readFileSync(transport.caFile, 'utf8')];
    // headersTimeout bounds the wait for a response (all of a non-streamed one); bodyTimeout the silence between stream chunks.
    const pool = new Pool(parsed.origin, {
      connections: options.maxConnections, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 30_000,
      // undici caps requests in flight per connection by `pipelining` (default 1) over HTTP/2 too.
      ...(transport.http2 === true ? { allowH2: true, maxConcurrentStreams: transport.maxStreamsPerConnection ?? 100, pipelining: transport.maxStreamsPerConnection ?? 100 } : {}),
      ...(ca === undefined ? {} : { connect: { ca } }),
    });
    // undici holds back a request it thinks unsafe to replay (a POST) until the connection's others finish, which
    // would allow one stream at a time over HTTP/2. Multiplexing loses nothing here: undici does not replay.
    this.connections = pool;
    this.pool = transport.http2 === true ? pool.compose((dispatch) => (options, handler) => dispatch({ ...options, idempotent: true }, handler)) : pool;
  }

  /** The Bearer header of its API key; none without one. */
  get authorization(): Record<string, string> {
    return this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` };
  }

  healthy(now: number): boolean {
    return now >= this.ejectedUntil;
  }

  /** A success clears the failure count. */
  succeeded(): void {
    this.failures = 0;
    this.ejectedUntil = 0;
  }

  /** Each consecutive failure ejects the endpoint for longer: 1 s, 2 s, 4 s … up to 30 s. */
  failed(now: number): void {
    this.failures += 1;
    this.ejectedUntil = now + Math.min(30_000, 1000 * 2 ** (this.failures - 1));
  }
}

/**
 * The endpoints of one model. `order()` gives the endpoints to try for a request: healthy ones first,
 * by smooth weighted round robin, then ejected ones (as a last resort, so one flapping endpoint never
 * makes the model unavailable while another might answer).
 */
export class UpstreamPool {
  readonly endpoints: UpstreamEndpoint[];
  private readonly current: number[];

  /** Any engine whose upstream has endpoints, a timeout and a connection cap (openai-compatible, automatic1111). */
  constructor(config: Pick<OpenAiCompatibleEngineConfig, 'endpoints' | 'maxConnections' | 'timeoutMs'>) {
    this.endpoints = config.endpoints.map((endpoint) => new UpstreamEndpoint(endpoint.url, endpoint.apiKey, endpoint.weight, endpoint.name, config, endpoint));
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
      if (!candidates.includes(this.endpoints[best]!) || this.current[position]! > this.current[best]!) best = position;
    }
    this.current[best]! -= total;
    const first = this.endpoints[best]!;
    return [first, ...candidates.filter((endpoint) => endpoint !== first), ...this.endpoints.filter((endpoint) => !candidates.includes(endpoint))];
  }

  /**
   * GET <endpoint>/models on every endpoint, the call every OpenAI-compatible server answers: healthy when
   * each answers below 500; otherwise the detail names those that did not.
   */
  async checkModels(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    const results = await Promise.all(this.endpoints.map(async (endpoint) => {
      try {
        const response = await endpoint.pool.request({ method: 'GET', path: `${endpoint.basePath}/models`, headers: endpoint.authorization, signal });
        await response.body.dump();
        return response.statusCode < 500 ? undefined : `${endpoint.shownUrl} answered ${response.statusCode}`;
      } catch (error) {
        return `${endpoint.shownUrl} is not reachable (${(error as Error).message})`;
      }
    }));
    const problems = results.filter((problem) => problem !== undefined);
    return { healthy: problems.length === 0, detail: problems.length === 0 ? 'every endpoint answers' : problems.join('; ') };
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
