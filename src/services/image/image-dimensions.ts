import type { ImageConstraints } from '../../config.ts';

export interface ImageDimensions {
  width: number;
  height: number;
  /** The resolution tier the image is priced at, for models with `resolutions`. */
  resolution?: string;
}

/** Whether the model sizes by aspect ratio (and resolution tier) rather than by width and height. */
export function sizesByAspectRatio(limits: ImageConstraints): boolean {
  return limits.aspectRatios !== undefined || limits.resolutions !== undefined;
}

/** "1K" → 1024, "2K" → 2048, "0.5K" → 512: the long side of a resolution tier; undefined for other names. */
export function tierPixels(resolution: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)K$/i.exec(resolution.trim());
  return match === null ? undefined : Math.round(Number(match[1]) * 1024);
}

/** "16:9" → 16/9; "auto" and anything unreadable → 1. */
export function ratioOf(aspectRatio: string): number {
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(aspectRatio.trim());
  const ratio = match === null ? 1 : Number(match[1]) / Number(match[2]);
  return Number.isFinite(ratio) && ratio > 0 ? ratio : 1;
}

const snap = (value: number, divisor: number): number =>
  Math.max(divisor, Math.round(value / divisor) * divisor);

/** A ratio at a long side: width × height, each a multiple of the divisor. */
function atLongSide(
  ratio: number,
  longSide: number,
  divisor: number,
): { width: number; height: number } {
  return ratio >= 1
    ? { width: snap(longSide, divisor), height: snap(longSide / ratio, divisor) }
    : { width: snap(longSide * ratio, divisor), height: snap(longSide, divisor) };
}

/**
 * The size of an aspect-ratio model's images (docs/guides/media/image-generation.mdx: such models take
 * `aspect_ratio` and, with tiers, `resolution`): the tier's long side (1K = 1024, 2K = 2048, 4K = 4096;
 * without tiers, the larger of the model's default width and height), the short side from the ratio.
 */
export function aspectRatioDimensions(
  limits: ImageConstraints,
  aspectRatio: string | undefined,
  resolution: string | undefined,
): ImageDimensions {
  const ratio = ratioOf(aspectRatio ?? limits.defaultAspectRatio ?? '1:1');
  const tier =
    limits.resolutions === undefined
      ? undefined
      : (resolution ?? limits.defaultResolution ?? limits.resolutions[0]);
  const longSide =
    (tier === undefined ? undefined : tierPixels(tier)) ??
    Math.max(limits.defaultWidth, limits.defaultHeight);
  const size = atLongSide(ratio, longSide, limits.widthHeightDivisor);
  return tier === undefined ? size : { ...size, resolution: tier };
}

/**
 * An OpenAI `size` ("1792x1024"; auto = 1024x1024, swagger: SimpleGenerateImageRequest.size) on a model:
 * a pixel model keeps the ratio within its maxDimension and divisor; an aspect-ratio model gets the listed
 * ratio nearest the size's, at its default resolution.
 */
export function openAiSizeDimensions(limits: ImageConstraints, size: string): ImageDimensions {
  const [width, height] = (size === 'auto' ? '1024x1024' : size).split('x').map(Number) as [
    number,
    number,
  ];
  if (sizesByAspectRatio(limits)) {
    const wanted = Math.log(width / height);
    const nearest = (limits.aspectRatios ?? ['1:1']).reduce((best, candidate) =>
      Math.abs(Math.log(ratioOf(candidate)) - wanted) < Math.abs(Math.log(ratioOf(best)) - wanted)
        ? candidate
        : best,
    );
    return aspectRatioDimensions(limits, nearest, undefined);
  }
  const scale = Math.min(1, limits.maxDimension / Math.max(width, height));
  const divisor = limits.widthHeightDivisor;
  const fit = (side: number): number =>
    Math.min(Math.floor(limits.maxDimension / divisor) * divisor, snap(side * scale, divisor));
  return { width: fit(width), height: fit(height) };
}
