import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { redactUrlCredentials } from '../../observability/url-redaction.ts';
import { Http2Connections } from './http2-connections.ts';

/** How one endpoint is reached, beyond its URL (the endpoint options of rialto.yaml). */
export interface EndpointTransport {
  http2?: boolean | undefined;
  maxStreamsPerConnection?: number | undefined;
  caFile?: string | undefined;
  /** A Unix domain socket to connect to in place of the URL's host and port. */
  socketPath?: string | undefined;
}

/** The headers that carry an endpoint's API key: a Bearer token unless the engine's upstream wants another scheme. */
export type Authorization = (apiKey: string) => Record<string, string>;

export const bearer: Authorization = (apiKey) => ({ authorization: `Bearer ${apiKey}` });

/** A URL without its user information, query or fragment (or the text itself when it is no URL): what may be stored. */
export function endpointIdentity(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** One upstream base URL with its connection pool and health. */
export class UpstreamEndpoint {
  /** What requests go through (the connection pool, or it composed for HTTP/2). */
  readonly pool: Dispatcher;
  /** The connections themselves (their stats: requests sent, and sent or waiting). */
  readonly connections: { readonly stats: { running: number; size: number } };
  readonly label: string;
  /** The URL as answers and logs show it: its password, if any, redacted (observability/log-redaction.ts). */
  readonly shownUrl: string;
  /** The URL without user information, query or fragment: what may be stored to find this endpoint again. */
  readonly identity: string;
  readonly basePath: string;
  /** The headers of its API key; none without one. */
  readonly authorization: Record<string, string>;
  private failures = 0;
  private ejectedUntil = 0;

  constructor(
    readonly url: string,
    readonly apiKey: string | undefined,
    readonly weight: number,
    name: string | undefined,
    readonly options: { maxConnections: number; timeoutMs: number },
    transport: EndpointTransport = {},
    authorize: Authorization = bearer,
  ) {
    const parsed = new URL(url);
    this.label = name ?? parsed.host;
    this.shownUrl = redactUrlCredentials(url);
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.identity = endpointIdentity(url);
    this.authorization = apiKey === undefined ? {} : authorize(apiKey);
    // A private CA adds to Node's bundled roots rather than replacing them.
    const ca =
      transport.caFile === undefined
        ? undefined
        : [...rootCertificates, readFileSync(transport.caFile, 'utf8')];
    // headersTimeout bounds the wait for a response (all of a non-streamed one); bodyTimeout the silence between stream chunks.
    const connect = {
      ...(ca === undefined ? {} : { ca }),
      ...(transport.socketPath === undefined ? {} : { socketPath: transport.socketPath }),
    };
    const common = {
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
      ...(Object.keys(connect).length === 0 ? {} : { connect }),
    };
    if (transport.http2 === true) {
      const streams = transport.maxStreamsPerConnection ?? 100;
      // undici caps requests in flight per connection by `pipelining` (default 1) over HTTP/2 too. Not undici's Pool:
      // it can queue a request on a full connection while another has room (http2-connections.ts).
      const connections = new Http2Connections(parsed.origin, options.maxConnections, streams, {
        ...common,
        allowH2: true,
        maxConcurrentStreams: streams,
        pipelining: streams,
      });
      this.connections = connections;
      // undici holds back a request it thinks unsafe to replay (a POST) until the connection's others finish, which
      // would allow one stream at a time over HTTP/2. Multiplexing loses nothing here: undici does not replay.
      this.pool = connections.compose(
        (dispatch) => (options, handler) => dispatch({ ...options, idempotent: true }, handler),
      );
    } else {
      const pool = new Pool(parsed.origin, { ...common, connections: options.maxConnections });
      this.connections = pool;
      this.pool = pool;
    }
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
