// fetch() with redirects followed by hand. Automatic following would hide the headers of the
// intermediate hops, and Hugging Face puts the file's sha256 (X-Linked-Etag) and size
// (X-Linked-Size) on its 302 to the CDN, not on the CDN's response.

export interface FetchWithRedirectsOptions {
  headers: Record<string, string>;
  // Sent only to hops on the first URL's origin: a token for huggingface.co must never reach a CDN.
  authorization?: string;
  signal?: AbortSignal;
  fetchImpl: typeof fetch;
  maximumRedirects?: number;
}

export interface RedirectedResponse {
  response: Response;
  // The URL that produced `response`, after redirects.
  url: string;
  // Headers seen on any hop; the first hop that sends one wins.
  linkedEtag: string | null;
  linkedSize: number | null;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export async function fetchWithRedirects(
  url: string,
  options: FetchWithRedirectsOptions,
): Promise<RedirectedResponse> {
  const firstOrigin = new URL(url).origin;
  const maximumRedirects = options.maximumRedirects ?? 10;
  let currentUrl = url;
  let linkedEtag: string | null = null;
  let linkedSize: number | null = null;
  for (let hop = 0; ; hop += 1) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization !== undefined && new URL(currentUrl).origin === firstOrigin) {
      headers['authorization'] = options.authorization;
    }
    const init: RequestInit = { headers, redirect: 'manual' };
    if (options.signal !== undefined) init.signal = options.signal;
    const response = await options.fetchImpl(currentUrl, init);
    linkedEtag ??= response.headers.get('x-linked-etag');
    linkedSize ??= parseSize(response.headers.get('x-linked-size'));
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url: currentUrl, linkedEtag, linkedSize };
    }
    await response.body?.cancel();
    if (hop >= maximumRedirects)
      throw new Error(`Too many redirects (more than ${maximumRedirects}) fetching ${url}`);
    const next = new URL(location, currentUrl);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new Error(`Refusing redirect to non-HTTP location ${next.href}`);
    }
    currentUrl = next.href;
  }
}

function parseSize(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}
