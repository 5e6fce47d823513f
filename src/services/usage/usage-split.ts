import type { TextPricing } from '../../config.ts';
import type { Nanos, UsageRecord } from '../../storage/store.ts';
import { toNanos } from '../billing/money.ts';

/** What one priced component of a request consumed. Token parts count tokens; `unit` parts count requests. */
export interface UsagePart {
  readonly kind: 'input' | 'cache-read' | 'output' | 'unit';
  /** Tokens for token parts, 1 for a `unit` part. */
  readonly quantity: number;
  /** This part's share of the record's charge; the parts of a record sum to its amount exactly. */
  readonly amount: Nanos;
  /** USD per 1M tokens (per request for `unit`): the model's list rate, or the effective rate when it is unknown. */
  readonly pricePerUnitUsd: number;
}

const PER = 1_000_000;

/**
 * Splits a usage record into input, cache-read and output parts (docs/overview/pricing.mdx: cached prompt
 * tokens at cache_input, extended rates for the whole request above the threshold). The record holds one
 * charge; it is divided in proportion to the parts' list cost at the model's current pricing, so the parts
 * always sum to what was charged even when the charge was capped or the pricing has changed since.
 * Without pricing (the model is no longer configured) the charge is divided by token count.
 */
export function splitUsage(record: UsageRecord, pricing: TextPricing | undefined): UsagePart[] {
  if (record.modelType !== 'text' && record.modelType !== 'embedding') {
    return [
      { kind: 'unit', quantity: 1, amount: record.amount, pricePerUnitUsd: record.amount / 1e9 },
    ];
  }
  const rates =
    pricing?.extended !== undefined &&
    record.promptTokens > pricing.extended.context_token_threshold
      ? {
          input: pricing.extended.input.usd,
          cache: (pricing.cache_input ?? pricing.extended.input).usd,
          output: pricing.extended.output.usd,
        }
      : pricing === undefined
        ? undefined
        : {
            input: pricing.input.usd,
            cache: (pricing.cache_input ?? pricing.input).usd,
            output: pricing.output.usd,
          };
  const cached = Math.min(record.cachedTokens, record.promptTokens);
  const candidates = [
    { kind: 'input' as const, quantity: record.promptTokens - cached, rate: rates?.input },
    { kind: 'cache-read' as const, quantity: cached, rate: rates?.cache },
    { kind: 'output' as const, quantity: record.completionTokens, rate: rates?.output },
  ].filter((part) => part.quantity > 0);
  // Exact integers: tokens × the rate in nano-USD (a float product and division put a part a nano off, 1 in 6,000).
  const weights = candidates.map((part) => BigInt(part.quantity) * BigInt(toNanos(part.rate ?? 1)));
  const useTokens = weights.every((weight) => weight === 0n);
  const shares = useTokens ? candidates.map((part) => BigInt(part.quantity)) : weights;
  const total = shares.reduce((sum, share) => sum + share, 0n);
  let allocated = 0;
  let cumulative = 0n;
  return candidates.map((part, index) => {
    cumulative += shares[index] ?? 0n;
    // The charge × cumulative / total, rounded half up on the integers.
    const upTo =
      index === candidates.length - 1
        ? record.amount
        : Number((BigInt(record.amount) * cumulative * 2n + total) / (2n * total));
    const amount = upTo - allocated;
    allocated = upTo;
    const pricePerUnitUsd = part.rate ?? amount / 1e9 / (part.quantity / PER);
    return { kind: part.kind, quantity: part.quantity, amount, pricePerUnitUsd };
  });
}
