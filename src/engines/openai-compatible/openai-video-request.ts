import type { ModelConfig } from '../../config.ts';

type VideoConstraints = ModelConfig['videoConstraints'];

/** openai-node resources/videos.d.ts: VideoSeconds ('4' | '8' | '12'), the default of `videoSeconds`. */
export const SORA_SECONDS: readonly number[] = [4, 8, 12];
/** openai-node resources/videos.d.ts: VideoSize, the default of `videoSizes`. */
export const SORA_SIZES: readonly string[] = ['720x1280', '1280x720', '1024x1792', '1792x1024'];

/** Sizes whose aspect ratio is this close (in log terms, about 5 %) to the best one count as the same shape. */
const RATIO_TOLERANCE = 0.05;

function secondsIn(duration: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(duration);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The `seconds` to ask for: the supported value nearest to the request's duration ("5s"), the longer one on a
 * tie (a client never gets less than it paid for by rounding down a tie). A duration that is not in seconds
 * ("auto", "-1", "1 gen", absent) means the model's longest listed duration, as the quote does
 * (services/jobs/job-pricing.ts); with none listed, undefined: the upstream's default.
 */
export function videoSecondsOf(
  duration: unknown,
  constraints: VideoConstraints,
  supported: readonly number[],
): number | undefined {
  const listed = constraints.durations.flatMap((option) => secondsIn(option) ?? []);
  const wanted =
    (typeof duration === 'string' ? secondsIn(duration) : undefined) ??
    (listed.length === 0 ? undefined : Math.max(...listed));
  if (wanted === undefined) return undefined;
  let best = supported[0]!;
  for (const candidate of supported) {
    const distance = Math.abs(candidate - wanted);
    const bestDistance = Math.abs(best - wanted);
    if (distance < bestDistance || (distance === bestDistance && candidate > best))
      best = candidate;
  }
  return best;
}

function ratioOf(aspectRatio: unknown): number | undefined {
  const match =
    typeof aspectRatio === 'string' ? /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(aspectRatio) : null;
  if (match === null) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
}

/** The short side a Venice resolution names: "720p" → 720, "4k" → 2160, "2K" → 1440, "true_1080p" → 1080. */
function shortSideOf(resolution: unknown): number | undefined {
  if (typeof resolution !== 'string') return undefined;
  const value = resolution.toLowerCase().replace(/^true_/, '');
  if (value === '4k') return 2160;
  if (value === '2k') return 1440;
  const match = /^(\d+)p$/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The `size` to ask for (WIDTHxHEIGHT, one the upstream accepts): the request's aspect ratio ("16:9") and
 * resolution ("720p" = a 720-pixel short side), each defaulting to the model's first listed one, then 16:9
 * and 720p ("auto" and "adaptive" count as absent). Among the supported sizes, those of the nearest shape
 * (within 5 %) are kept and the one whose short side is nearest wins (the larger on a tie, then list order).
 * Sora 2's sizes: 16:9 720p → 1280x720, 9:16 1080p → 1024x1792.
 */
export function videoSizeOf(
  aspectRatio: unknown,
  resolution: unknown,
  constraints: VideoConstraints,
  supported: readonly string[],
): { width: number; height: number } {
  const ratio =
    ratioOf(aspectRatio) ??
    constraints.aspect_ratios.map(ratioOf).find((value) => value !== undefined) ??
    16 / 9;
  const shortSide =
    shortSideOf(resolution) ??
    constraints.resolutions.map(shortSideOf).find((value) => value !== undefined) ??
    720;
  const sizes = supported.map((size) => {
    const [width, height] = size.split('x').map(Number) as [number, number];
    return {
      width,
      height,
      error: Math.abs(Math.log(width / height) - Math.log(ratio)),
      short: Math.min(width, height),
    };
  });
  const bestError = Math.min(...sizes.map((size) => size.error));
  const shaped = sizes.filter((size) => size.error <= bestError + RATIO_TOLERANCE);
  let best = shaped[0]!;
  for (const size of shaped) {
    const distance = Math.abs(size.short - shortSide);
    const bestDistance = Math.abs(best.short - shortSide);
    if (distance < bestDistance || (distance === bestDistance && size.short > best.short))
      best = size;
  }
  return { width: best.width, height: best.height };
}
