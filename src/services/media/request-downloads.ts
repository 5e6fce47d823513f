import { VeniceError } from '../../errors/venice-error.ts';
import type { FetchedMedia, FetchOptions, UrlFetcher } from './url-fetcher.ts';
import { fetchRefused } from './fetch-refusal.ts';

/** One request's downloads of client URLs (config fetch.perRequest). */
export interface DownloadLimits {
  /** The most URLs one request may have fetched (file parts, image_url and video_url together). */
  maxUrls: number;
  /** The most bytes they may add up to. */
  maxBytes: number;
  /** Downloads of one request at once. */
  concurrency: number;
}

/**
 * The downloads of one request. Each URL alone is capped by config.fetch.maxBytes, but a request may carry many:
 * a thousand image URLs fetched at once would hold gigabytes. So a request gets `maxUrls` URLs and `maxBytes` in
 * all, `concurrency` at a time. Every download holds room for its worst case (its own cap, or what is left) while
 * it runs and gives back what it did not use; one that finds too little room waits for those running, and is
 * refused (400) only when nothing runs and the request's bytes are spent.
 */
export class RequestDownloads {
  private started = 0;
  private held = 0;
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  /** `maxBytesPerUrl`: config.fetch.maxBytes, the cap of one download. */
  constructor(
    private readonly fetcher: Pick<UrlFetcher, 'fetch'>,
    private readonly limits: DownloadLimits,
    private readonly maxBytesPerUrl: number,
  ) {}

  /** UrlFetcher.fetch within the request's limits; a download the request's bytes cannot hold is a 400. */
  async fetch(url: string, options: FetchOptions): Promise<FetchedMedia> {
    this.started += 1;
    if (this.started > this.limits.maxUrls)
      throw fetchRefused(options.field, `a request may fetch at most ${this.limits.maxUrls} URLs`);
    const want = Math.min(options.maxBytes ?? this.maxBytesPerUrl, this.maxBytesPerUrl);
    const cap = await this.hold(want, options.field, options.signal);
    try {
      const fetched = await this.fetcher.fetch(url, { ...options, maxBytes: cap });
      this.held -= cap - fetched.bytes.length;
      return fetched;
    } catch (error) {
      this.held -= cap;
      if (cap < want && error instanceof VeniceError && error.code === 'PAYLOAD_TOO_LARGE') {
        throw this.overBudget(options.field);
      }
      throw error;
    } finally {
      this.running -= 1;
      this.waiters.splice(0).forEach((wake) => wake());
    }
  }

  private overBudget(field: string): VeniceError {
    return fetchRefused(
      field,
      `a request's downloads may total at most ${Math.floor(this.limits.maxBytes / (1024 * 1024))} MB`,
    );
  }

  /** Room for one download: its whole cap once that fits beside the others running; otherwise what is left when none runs. */
  private async hold(
    want: number,
    field: string,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      const room = this.limits.maxBytes - this.held;
      const fits =
        this.running < this.limits.concurrency &&
        (room >= want || (this.running === 0 && room > 0));
      if (fits) {
        const cap = Math.min(want, room);
        this.held += cap;
        this.running += 1;
        return cap;
      }
      if (this.running === 0) throw this.overBudget(field);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
