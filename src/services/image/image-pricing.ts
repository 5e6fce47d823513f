import type { ModelConfig } from '../../config.ts';
import type { Cost } from '../pricing.ts';

export type ImageQuality = 'low' | 'medium' | 'high';

/** The tier a generation is priced at: the resolution tier ("1K", "2K", …) and quality, where the model has them. */
export interface ImagePriceTier {
  resolution?: string;
  quality?: ImageQuality;
}

const FREE: Cost = { usd: 0, diem: 0 };

function dearest(prices: Cost[]): Cost {
  return prices.reduce((best, price) => (price.usd > best.usd ? price : best), FREE);
}

/**
 * The price of one image (INVENTORY §6.2, swagger: Image Model Pricing): `quality[resolution][quality]`
 * when the model prices by quality (requests without one pay the model's defaultQuality, else `high`),
 * else `resolutions[resolution]`, else `generation`. A tier missing from the table costs the table's
 * dearest entry, so a configuration gap never makes an image free.
 */
export function imageUnitPrice(config: ModelConfig, tier: ImagePriceTier): Cost {
  const { pricing, imageConstraints: limits } = config;
  if (pricing.quality !== undefined) {
    const resolution =
      tier.resolution ?? limits.defaultResolution ?? Object.keys(pricing.quality)[0] ?? '';
    const quality = tier.quality ?? limits.defaultQuality ?? 'high';
    return (
      pricing.quality[resolution]?.[quality] ??
      dearest(Object.values(pricing.quality).flatMap((row) => [row.low, row.medium, row.high]))
    );
  }
  if (pricing.resolutions !== undefined) {
    const resolution =
      tier.resolution ?? limits.defaultResolution ?? Object.keys(pricing.resolutions)[0] ?? '';
    return pricing.resolutions[resolution] ?? dearest(Object.values(pricing.resolutions));
  }
  return pricing.generation ?? FREE;
}

/** The price of `images` images at `tier`, rounded to 12 decimals as pricing.ts rounds. */
export function imageCostOf(config: ModelConfig, tier: ImagePriceTier, images: number): Cost {
  const unit = imageUnitPrice(config, tier);
  const round = (value: number): number => Math.round(value * images * 1e12) / 1e12;
  return { usd: round(unit.usd), diem: round(unit.diem) };
}
