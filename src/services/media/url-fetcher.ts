import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import type { FetchConfig } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { errorCode } from '../../engines/upstream/network-error.ts';
import { isPrivateAddress } from './private-address.ts';
import { RequestDownloads } from './request-downloads.ts';
import { fetchRefused } from './fetch-refusal.ts';

// The address rules live in private-address.ts; existing callers import them from here.
export { isPrivateAddress };

export interface FetchedMedia {
  bytes: Buffer;
  /** Where the body came from, after redirects. */
  url: string;
  /** The response's media type, lower case, without parameters; undefined when the server sent none. */
  contentType: string | undefined;
}

export interface FetchOptions {
  /** Largest body accepted (default: the configured maxBytes); more is a 413. */
  maxBytes?: number;
  /** Media types accepted (e.g. `image/`, a prefix); another is a 400. Absent: any. */
  accept?: readonly string[];
  /** The request field the URL came from, named in errors. */
  field: string;
  signal?: AbortSignal;
}

/**
 * Whether a failed fetch ran out of `fetch.timeoutMs`: the request's signal, or undici's own headers or body timeout
 * (set to the same figure, on undici's coarser timers, so under load either may fire first). Not undici's connect
 * timeout, which the upstream layer's TIMEOUT_CODES also holds: a host that takes no connection could not be reached.
 */
export function timedOut(signal: AbortSignal, error: unknown): boolean {
  const code = errorCode(error);
  return signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/**
 * Fetches URLs that clients give (image_url and image inputs) for the services: http(s) only, a size
 * limit read as the body arrives, a timeout, accepted media types, a few redirects (each one checked
 * again), and no connection to private, loopback or link-local addresses unless the operator allows the
 * host (config.fetch). The check runs on the addresses the connection actually uses (a custom DNS
 * lookup), so a name that resolves to 127.0.0.1 is refused as surely as the literal.
 */
export class UrlFetcher {
  private readonly allowHosts: Set<string>;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly config: FetchConfig) {
    this.allowHosts = new Set(
      config.allowHosts.map((host) => host.toLowerCase().replace(/^\[|\]$/g, '')),
    );
    this.dispatcher = new Agent({
      connect: {
        lookup: (hostname, options, callback) => this.lookup(hostname, options, callback),
      },
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    });
  }

  private allowed(host: string): boolean {
    return this.config.allowPrivateAddresses || this.allowHosts.has(host.toLowerCase());
  }

  private lookup(
    hostname: string,
    options: object,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const usable = this.allowed(hostname)
        ? addresses
        : addresses.filter(
            (entry) => !isPrivateAddress(entry.address) || this.allowed(entry.address),
          );
      if (usable.length === 0) {
        const blocked = Object.assign(new Error(`${hostname} resolves only to private addresses`), {
          code: 'EPRIVATE',
        });
        return callback(blocked, []);
      }
      const all = (options as { all?: boolean }).all === true;
      if (all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  }

  /** Checks a URL before any connection: scheme, and a literal private address. */
  private check(url: URL, field: string): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw fetchRefused(field, 'only http and https URLs are fetched');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && isPrivateAddress(host) && !this.allowed(host))
      throw fetchRefused(field, 'the URL points to a private address');
  }

  async fetch(raw: string, options: FetchOptions): Promise<FetchedMedia> {
    const { field } = options;
    const maxBytes = Math.min(options.maxBytes ?? this.config.maxBytes, this.config.maxBytes);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw fetchRefused(field, 'not a valid URL');
    }
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.config.timeoutMs),
      ...(options.signal === undefined ? [] : [options.signal]),
    ]);
    for (let redirects = 0; ; redirects += 1) {
      this.check(url, field);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          dispatcher: this.dispatcher,
          signal,
          headers: {
            accept:
              options.accept?.map((type) => (type.endsWith('/') ? `${type}*` : type)).join(', ') ??
              '*/*',
            'user-agent': 'Rialto',
          },
        });
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        const code = errorCode(error);
        if (code === 'EPRIVATE' || (error as Error).message.includes('private addresses'))
          throw fetchRefused(field, 'the URL points to a private address');
        throw fetchRefused(
          field,
          timedOut(signal, error)
            ? 'the server did not answer in time'
            : `the server could not be reached (${code === '' ? (error as Error).message : code})`,
        );
      }
      const { statusCode, headers, body } = response;
      if (statusCode >= 300 && statusCode < 400 && typeof headers.location === 'string') {
        body.resume();
        if (redirects >= this.config.maxRedirects) throw fetchRefused(field, 'too many redirects');
        url = new URL(headers.location, url);
        continue;
      }
      if (statusCode !== 200) {
        body.resume();
        throw fetchRefused(field, `the server answered ${statusCode}`);
      }
      const contentType =
        typeof headers['content-type'] === 'string'
          ? headers['content-type'].split(';')[0]!.trim().toLowerCase()
          : undefined;
      if (
        options.accept !== undefined &&
        contentType !== undefined &&
        contentType !== 'application/octet-stream' &&
        !options.accept.some((type) =>
          type.endsWith('/') ? contentType.startsWith(type) : contentType === type,
        )
      ) {
        body.resume();
        throw fetchRefused(
          field,
          `the URL serves ${contentType}, not ${options.accept.join(' or ')}`,
        );
      }
      const length = Number(headers['content-length']);
      if (Number.isFinite(length) && length > maxBytes) {
        body.destroy();
        throw new VeniceError('PAYLOAD_TOO_LARGE');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body) {
          size += (chunk as Buffer).length;
          if (size > maxBytes) {
            body.destroy();
            throw new VeniceError('PAYLOAD_TOO_LARGE');
          }
          chunks.push(chunk as Buffer);
        }
      } catch (error) {
        if (error instanceof VeniceError || options.signal?.aborted === true) throw error;
        throw fetchRefused(
          field,
          timedOut(signal, error) ? 'the server did not answer in time' : 'the download failed',
        );
      }
      return { bytes: Buffer.concat(chunks), url: url.href, contentType };
    }
  }

  /** The downloads of one request: config.fetch.perRequest's count, total and concurrency on top of each URL's cap. */
  forRequest(): RequestDownloads {
    return new RequestDownloads(this, this.config.perRequest, this.config.maxBytes);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
