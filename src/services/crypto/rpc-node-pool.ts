import type { Dispatcher } from 'undici';
import type { EngineCall } from '../../engines/engine.ts';
import { EngineError } from '../../engines/engine-error.ts';
import { jsonBody, parseAnswer } from '../../engines/upstream/upstream-answer.ts';
import { failover, requestEndpoint } from '../../engines/upstream/request-with-failover.ts';
import { UpstreamPool } from '../../engines/upstream/upstream-pool.ts';
import type { CryptoRpcConfig, RpcNetworkConfig } from '../../config/crypto-rpc-config.ts';

/**
 * One network's nodes behind the project's one upstream layer (engines/upstream/): health, ejection and failover.
 * A node URL's `user:password@` goes as Basic auth (undici connects to the origin only), its path and query as
 * they are; logs and errors name a node by its `name` or host, never by its URL.
 */
export class RpcNodePool {
  private readonly pool: UpstreamPool;
  private readonly queries: Map<string, string>;

  constructor(
    network: RpcNetworkConfig,
    private readonly options: Pick<
      CryptoRpcConfig,
      'timeoutMs' | 'maxConnections' | 'maxResponseBytes'
    >,
  ) {
    const basic = new Set<string>();
    const endpoints = network.nodes.map((node) => {
      const url = new URL(node.url);
      if (node.apiKey !== undefined || (url.username === '' && url.password === '')) return node;
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      basic.add(credentials);
      return { ...node, apiKey: credentials };
    });
    this.pool = new UpstreamPool(
      { endpoints, timeoutMs: options.timeoutMs, maxConnections: options.maxConnections },
      (key) =>
        basic.has(key)
          ? { authorization: `Basic ${Buffer.from(key).toString('base64')}` }
          : { authorization: `Bearer ${key}` },
    );
    this.queries = new Map(network.nodes.map((node) => [node.url, new URL(node.url).search]));
  }

  /**
   * POSTs `body` (a JSON-RPC call or batch) to the first node that takes it: a node that cannot be reached, or
   * answers 429 or 5xx, passes the call to the next; a timeout does not (the call may have been applied). The
   * answer is the node's JSON, read up to maxResponseBytes. Throws EngineError.
   */
  send(body: unknown, call: EngineCall): Promise<unknown> {
    return failover(this.pool, (endpoint) =>
      requestEndpoint(
        endpoint,
        {
          kind: 'crypto-rpc',
          // Below the node URL's path: its query (a key, for some providers); `/` for a URL without a path.
          path: `${endpoint.basePath === '' ? '/' : ''}${this.queries.get(endpoint.url) ?? ''}`,
          body: jsonBody(body),
          accept: 'application/json',
          failure: (status, _answer, label) =>
            new EngineError(
              status === 429 ? 'overloaded' : 'failed',
              `RPC node ${label} answered ${status}`,
              {
                status,
                retryable: status === 429 || status >= 500,
              },
            ),
          read: (response) => this.readJson(response, endpoint.label),
        },
        call,
      ),
    );
  }

  private async readJson(response: Dispatcher.ResponseData, label: string): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += bytes.length;
      if (size > this.options.maxResponseBytes) {
        response.body.destroy();
        throw new EngineError(
          'failed',
          `RPC node ${label} answered more than ${this.options.maxResponseBytes} bytes`,
          {
            retryable: false,
          },
        );
      }
      chunks.push(bytes);
    }
    const answer = parseAnswer(Buffer.concat(chunks).toString('utf8'));
    if (typeof answer !== 'object' || answer === null)
      throw new EngineError('failed', `RPC node ${label} answered something other than JSON-RPC`, {
        retryable: false,
      });
    return answer;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
