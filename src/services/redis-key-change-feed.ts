// Key changes shared by the replicas through Redis pub/sub. Pub/sub delivers at most once and only to connected
// subscribers, so after every (re)subscription the subscriber is told to drop everything it cached: whatever was
// announced while it was away is then read fresh from the store.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KeyChangeFeed } from './key-change-feed.ts';

/** How long `subscribe` waits for Redis at start before letting the server start anyway. */
const SUBSCRIBE_WAIT_MS = 5000;

export interface RedisKeyChangeFeedOptions {
  readonly url: string;
  /** Replicas that share keys share the channel. */
  readonly channel: string;
  readonly logger: Logger;
}

export class RedisKeyChangeFeed implements KeyChangeFeed {
  // A subscribed connection can do nothing else, hence two. No offline queue for publishing: a revocation must
  // not wait on a Redis that is down (the record cache's lifetime bounds the delay then).
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #logger: Logger;
  #closed = false;

  constructor(options: RedisKeyChangeFeedOptions) {
    this.#channel = options.channel;
    this.#logger = options.logger;
    this.#publisher = new Redis(options.url, { enableOfflineQueue: false });
    this.#subscriber = new Redis(options.url, { autoResubscribe: false });
    // One line per outage, not one per reconnection attempt.
    for (const client of [this.#publisher, this.#subscriber]) {
      let down = false;
      client.on('error', (error: Error) => {
        if (!down)
          this.#logger.warn(
            { err: error },
            'key change feed: Redis unreachable; changes made elsewhere apply when cached key records expire',
          );
        down = true;
      });
      client.on('ready', () => {
        if (down) this.#logger.info('key change feed: Redis reachable again');
        down = false;
      });
    }
  }

  async publish(id: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#publisher.publish(this.#channel, id);
    } catch (error) {
      this.#logger.warn(
        { err: error, keyId: id },
        'key change not announced; other replicas apply it when their cached key record expires',
      );
    }
  }

  subscribe(onChange: (id: string | undefined) => void): Promise<void> {
    this.#subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.#channel) onChange(id);
    });
    return new Promise((resolve) => {
      const giveUp = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      const join = (): void => {
        this.#subscriber.subscribe(this.#channel).then(
          () => {
            onChange(undefined);
            clearTimeout(giveUp);
            resolve();
          },
          (error: unknown) =>
            this.#logger.warn({ err: error }, 'key change feed: subscribe failed'),
        );
      };
      // 'ready' comes at the first connection and after every reconnection.
      this.#subscriber.on('ready', join);
      if (this.#subscriber.status === 'ready') join();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [this.#publisher, this.#subscriber].map((client) =>
        client.quit().catch(() => client.disconnect()),
      ),
    );
  }
}
