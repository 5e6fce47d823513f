import type { TextPricing } from '../../config.ts';
import type { Cost } from '../pricing.ts';

const FREE: Cost = { usd: 0, diem: 0 };

/** Prices carry 12 decimals at most (as in pricing.ts). */
function round(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

/**
 * The price of one edit (swagger: Inpaint Model Pricing; INVENTORY §6.2): `quality[resolution][quality]`
 * where the model prices quality tiers (a request without `quality` pays the model's default tier, edit.mdx),
 * else `resolutions[resolution]`, else `inpaint`; plus `inputImages.additional` for each input image beyond
 * `inputImages.included` (e.g. $0.11 + 2 × $0.0035 for 3 images with 1 included).
 */
export function editCostOf(
  pricing: TextPricing,
  resolution: string,
  quality: 'low' | 'medium' | 'high',
  images: number,
): Cost {
  const base =
    pricing.quality?.[resolution]?.[quality] ??
    pricing.resolutions?.[resolution] ??
    pricing.inpaint ??
    FREE;
  const extra =
    pricing.inputImages === undefined ? 0 : Math.max(0, images - pricing.inputImages.included);
  const additional = pricing.inputImages?.additional ?? FREE;
  return {
    usd: round(base.usd + extra * additional.usd),
    diem: round(base.diem + extra * additional.diem),
  };
}
