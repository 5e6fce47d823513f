import { randomUUID } from 'node:crypto';
import type { CryptoRpcConfig } from '../../config/crypto-rpc-config.ts';
import { EngineError } from '../../engines/engine-error.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { cryptoRpcRequest, type JsonRpcCall } from '../../schemas/crypto-rpc.ts';
import type { Billing } from '../billing/meter.ts';
import type { Cost } from '../pricing.ts';
import { type CallPrices, forwardedCalls, relayedAnswer, worstCaseCredits } from './rpc-answer.ts';
import { methodTier, type RpcFamily } from './rpc-methods.ts';
import { IdempotencyCache } from './idempotency-cache.ts';
import { RpcNodePool } from './rpc-node-pool.ts';

/** What POST /crypto/rpc/{network} answers: the node's JSON-RPC answer and what it cost. */
export interface RpcRelayResult {
  /** The JSON-RPC answer, serialized. */
  body: string;
  credits: number;
  costUsd: number;
  /** Served from the Idempotency-Key cache: nothing relayed, nothing charged. */
  replayed: boolean;
}

/** Who asks (an account) and the request's Idempotency-Key. */
export interface IdempotencyScope {
  caller: string;
  key: string;
}

interface Network {
  family: RpcFamily;
  baseCredits: number;
  nodes: RpcNodePool;
}

/**
 * The crypto RPC proxy (docs/api-reference/endpoint/crypto/rpc.mdx): relays JSON-RPC 2.0 calls to the operator's
 * nodes of a configured network, refusing methods off the allow-list, and bills per credit through the request's
 * Billing: the worst case reserved before the node is called, the credits of its answer settled after.
 */
export class CryptoRpcService {
  private readonly networks = new Map<string, Network>();
  private readonly idempotency: IdempotencyCache<Omit<RpcRelayResult, 'replayed'>>;

  constructor(private readonly config: CryptoRpcConfig) {
    this.idempotency = new IdempotencyCache(
      config.idempotencyCacheBytes,
      (result) => result.body.length,
    );
    for (const [slug, network] of Object.entries(config.networks)) {
      const baseCredits =
        network.baseCredits ??
        (network.family === 'solana' || slug.startsWith('zksync-') ? 30 : 20);
      this.networks.set(slug, {
        family: network.family,
        baseCredits,
        nodes: new RpcNodePool(network, config),
      });
    }
  }

  /** The configured network slugs, sorted (swagger: listCryptoRpcNetworks). */
  slugs(): string[] {
    return [...this.networks.keys()].sort();
  }

  /**
   * Checks `body` for `slug` (400: an unknown network, a malformed call, a batch over 100, any method off the
   * list — all of them named), reserves its worst case on `billing` (429, 402), relays it, and settles the credits
   * of the answer; a node failure releases the reservation and is a 500. With `idempotency`, a repeat of the
   * caller's key and body within 24 hours replays the first result uncharged (another body: 400).
   */
  async relay(
    slug: string,
    body: unknown,
    billing: Billing,
    signal: AbortSignal,
    idempotency?: IdempotencyScope,
  ): Promise<RpcRelayResult> {
    if (idempotency === undefined)
      return { ...(await this.relayOnce(slug, body, billing, signal)), replayed: false };
    const { result, replayed } = await this.idempotency.once(
      idempotency.caller,
      idempotency.key,
      [slug, body],
      () => this.relayOnce(slug, body, billing, signal),
    );
    // Nothing is charged for a replay (rpc.mdx): its credits headers say 0.
    return replayed ? { ...result, credits: 0, costUsd: 0, replayed } : { ...result, replayed };
  }

  private async relayOnce(
    slug: string,
    body: unknown,
    billing: Billing,
    signal: AbortSignal,
  ): Promise<Omit<RpcRelayResult, 'replayed'>> {
    const network = this.networks.get(slug);
    if (network === undefined)
      throw new VeniceError('INVALID_REQUEST', { message: 'Unsupported RPC network' });
    const request = parseOrThrow(cryptoRpcRequest, body);
    const calls = Array.isArray(request) ? request : [request];
    const prices = this.pricesOf(network, calls);
    const settlement = await billing.reserve({
      modelId: `crypto-rpc/${slug}`,
      modelType: 'crypto-rpc',
      requestId: `rpc-${randomUUID()}`,
      limitClass: 'S',
      tokens: 0,
      worstCase: this.costOf(worstCaseCredits(prices)),
      privacy: 'private',
    });
    const batch = Array.isArray(request);
    let relayed: { answer: unknown; credits: number };
    try {
      const sent = forwardedCalls(calls);
      const answer = await network.nodes.send(batch ? sent : sent[0], { signal });
      relayed = relayedAnswer(calls, batch, answer, prices);
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw error instanceof EngineError ? upstreamFailure(error) : error;
    }
    const cost = this.costOf(relayed.credits);
    await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    return { body: JSON.stringify(relayed.answer), credits: relayed.credits, costUsd: cost.usd };
  }

  private pricesOf(network: Network, calls: readonly JsonRpcCall[]): CallPrices {
    const unsupported = new Set<string>();
    const credits = calls.map((call) => {
      const tier = methodTier(network.family, call.method);
      if (tier === undefined) unsupported.add(call.method);
      return network.baseCredits * (tier ?? 0);
    });
    if (unsupported.size > 0) {
      // rpc.mdx: "the entire batch is rejected with 400 and every offending method name is listed".
      const methods = [...unsupported];
      throw new VeniceError('INVALID_REQUEST', {
        message: `Unsupported RPC method${methods.length > 1 ? 's' : ''}: ${methods.join(', ')}`,
        extra: {
          details: {
            _errors: [],
            method: { _errors: methods.map((method) => `Unsupported: ${method}`) },
          },
        },
      });
    }
    return { credits, errorCredits: this.config.errorCredits };
  }

  private costOf(credits: number): Cost {
    const { usd, diem } = this.config.pricePerCredit;
    return { usd: credits * usd, diem: credits * diem };
  }

  /** Closes every node's connections. */
  async close(): Promise<void> {
    await Promise.all([...this.networks.values()].map((network) => network.nodes.close()));
  }
}

/** swagger: "500 — Either the upstream fetch failed (network error / timeout) or the service is misconfigured". */
function upstreamFailure(error: EngineError): VeniceError {
  return new VeniceError('RPC_NODE_FAILED', { cause: error });
}
