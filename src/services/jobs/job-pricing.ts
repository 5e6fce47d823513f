import type { ModelConfig } from '../../config.ts';
import type { Cost } from '../pricing.ts';

/** Prices carry 12 decimals at most (as in pricing.ts). */
const round = (value: number): number => Math.round(value * 1e12) / 1e12;

/**
 * "5s" → 5; "-1", "auto" and "1 gen" (match the source, one generation), and no duration (an upscale model,
 * whose duration is its input video's) → the model's longest listed duration.
 */
export function durationSeconds(duration: string | undefined, model: ModelConfig): number {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(duration ?? '');
  if (match !== null) return Number(match[1]);
  const listed = model.videoConstraints.durations.flatMap((option) => {
    const seconds = /^(\d+(?:\.\d+)?)s$/.exec(option);
    return seconds === null ? [] : [Number(seconds[1])];
  });
  return listed.length === 0 ? 0 : Math.max(...listed);
}

/**
 * A video's quote: `generation` per job plus, per second of video, `resolutions[resolution]` when the model
 * prices resolutions, else `per_second`. Venice quotes video only through /video/quote; the operator's
 * prices here are what Rialto reserves at queue time and charges on success.
 */
export function videoQuote(
  model: ModelConfig,
  request: { duration?: string; resolution?: string },
): Cost {
  const { pricing } = model;
  const seconds = durationSeconds(request.duration, model);
  const perSecond = (request.resolution === undefined
    ? undefined
    : pricing.resolutions?.[request.resolution]) ??
    pricing.per_second ?? { usd: 0, diem: 0 };
  const base = pricing.generation ?? { usd: 0, diem: 0 };
  return {
    usd: round(base.usd + seconds * perSecond.usd),
    diem: round(base.diem + seconds * perSecond.diem),
  };
}

/**
 * A music job's quote (swagger: the music pricing shapes): per generation, by duration tier, per second,
 * or per thousand characters, whichever the model has.
 */
export function musicQuote(
  model: ModelConfig,
  request: { durationSeconds?: number; characters?: number },
): Cost {
  const { pricing } = model;
  const seconds =
    request.durationSeconds ?? model.music.default_duration ?? model.music.max_duration ?? 0;
  if (pricing.durations !== undefined) {
    const tier = Object.values(pricing.durations).find(
      (candidate) => seconds >= candidate.min_seconds && seconds <= candidate.max_seconds,
    );
    if (tier !== undefined) return { usd: tier.usd, diem: tier.diem };
  }
  if (pricing.per_thousand_characters !== undefined) {
    const thousands = (request.characters ?? 0) / 1000;
    return {
      usd: round(thousands * pricing.per_thousand_characters.usd),
      diem: round(thousands * pricing.per_thousand_characters.diem),
    };
  }
  if (pricing.per_second !== undefined)
    return {
      usd: round(seconds * pricing.per_second.usd),
      diem: round(seconds * pricing.per_second.diem),
    };
  return pricing.generation ?? { usd: 0, diem: 0 };
}
