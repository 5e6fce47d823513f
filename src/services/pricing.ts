import type { TextPricing } from '../config.ts';
import type { EngineUsage } from '../engines/engine.ts';

export interface Cost {
  usd: number;
  diem: number;
}

const PER = 1_000_000;

/**
 * The price of a text or embedding request from its usage (docs/overview/pricing.mdx, INVENTORY §6.2):
 * prices are per 1M tokens; cached prompt tokens are billed at cache_input where the model has one;
 * above `extended.context_token_threshold` prompt tokens the whole request is billed at extended rates.
 * Returns the price in each currency; which balance pays is the accounts layer's decision.
 */
export function priceOf(pricing: TextPricing, usage: EngineUsage): Cost {
  const rates =
    pricing.extended !== undefined && usage.promptTokens > pricing.extended.context_token_threshold
      ? { ...pricing, input: pricing.extended.input, output: pricing.extended.output }
      : pricing;
  const cached = Math.min(usage.cachedTokens ?? 0, usage.promptTokens);
  const cacheRate = rates.cache_input ?? rates.input;
  const price = (currency: keyof Cost): number =>
    ((usage.promptTokens - cached) * rates.input[currency] +
      cached * cacheRate[currency] +
      usage.completionTokens * rates.output[currency]) /
    PER;
  return { usd: round(price('usd')), diem: round(price('diem')) };
}

/** Prices carry 12 decimals at most, so sums of many small costs stay exact enough to compare. */
function round(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}
