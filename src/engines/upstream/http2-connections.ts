import { Client, Dispatcher } from 'undici';

/**
 * An endpoint's HTTP/2 connections: up to `maxConnections` undici Clients of `streamsPerConnection` streams each, a
 * request given to the connection with the fewest requests, a new connection opened only when every one is full.
 *
 * Not undici's Pool: its Client schedules a 'drain' in a microtask on each dispatch that leaves room, and a drain that
 * fires after later dispatches of the same turn filled the connection marks a full connection free again; the Pool
 * then queues the next request on that full connection, behind streams that may stay open for minutes, while another
 * connection has room (bench:fanout, 3,000 held streams on 2 connections of 2,600: 8 to 45 requests left pending on
 * the full one, never sent). Here a request goes to a full connection only when all are full, and then to the least
 * loaded, whose own queue starts it when one of its streams ends.
 */
export class Http2Connections extends Dispatcher {
  private readonly clients: Client[] = [];

  constructor(
    private readonly origin: string,
    private readonly maxConnections: number,
    private readonly streamsPerConnection: number,
    private readonly options: Client.Options,
  ) {
    super();
  }

  /** Requests on the connections (running: sent; size: sent and waiting), as undici's PoolStats names them. */
  get stats(): { running: number; size: number } {
    let running = 0;
    let size = 0;
    for (const client of this.clients) {
      const stats = client.stats;
      running += stats.running;
      size += stats.size;
    }
    return { running, size };
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    let least: Client | undefined;
    let leastSize = Number.POSITIVE_INFINITY;
    for (const client of this.clients) {
      const size = client.stats.size;
      if (size < leastSize) [least, leastSize] = [client, size];
    }
    if (
      least === undefined ||
      (leastSize >= this.streamsPerConnection && this.clients.length < this.maxConnections)
    ) {
      least = new Client(this.origin, this.options);
      this.clients.push(least);
    }
    least.dispatch(options, handler);
    // Never asks the caller to wait for a drain: a request past every connection's room waits in its connection.
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | undefined {
    const closed = Promise.all(this.clients.map((client) => client.close())).then(() => undefined);
    if (callback === undefined) return closed;
    void closed.then(callback);
    return undefined;
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(
    first?: Error | null | (() => void),
    second?: () => void,
  ): Promise<void> | undefined {
    const [error, callback] = typeof first === 'function' ? [null, first] : [first ?? null, second];
    const destroyed = Promise.all(this.clients.map((client) => client.destroy(error))).then(
      () => undefined,
    );
    if (callback === undefined) return destroyed;
    void destroyed.then(callback);
    return undefined;
  }
}
