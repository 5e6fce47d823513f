import type { EditAspectRatio } from '../../schemas/image-edit.ts';

/** Output sides are multiples of 16: what the GPT image models ask of a size, and a multiple of every latent grid (8). */
const GRID = 16;

/** The long side of a resolution tier: "1K" = 1024, "2K" = 2048, "4K" = 4096; a tier not of that form is 1K. */
export function longSideOf(resolution: string): number {
  const match = /^(\d+(?:\.\d+)?)K$/i.exec(resolution);
  return match === null ? 1024 : Math.round(Number(match[1]) * 1024);
}

function ratioOf(aspect: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(aspect);
  return match === null ? undefined : Number(match[1]) / Number(match[2]);
}

/**
 * The aspect ratio of the output: the one asked for; for `auto` (or none, or a model with
 * singleImageAspectRatio false editing one image: swagger Inpaint Model Constraints) the input's, or, when
 * the model lists its aspect ratios, the listed one closest to the input's ("infer the closest supported
 * aspect ratio from the input image", swagger EditImageRequest.aspect_ratio).
 */
export function outputRatio(
  input: { width: number; height: number },
  asked: EditAspectRatio | undefined,
  listed: readonly string[] | undefined,
  keepInput: boolean,
): number {
  const inputRatio = input.width / input.height;
  const explicit =
    asked === undefined || asked === 'auto' || keepInput ? undefined : ratioOf(asked);
  if (explicit !== undefined) return explicit;
  if (keepInput) return inputRatio;
  const candidates = (listed ?? []).map(ratioOf).filter((ratio) => ratio !== undefined);
  if (candidates.length === 0) return inputRatio;
  return candidates.reduce((best, ratio) =>
    Math.abs(Math.log(ratio / inputRatio)) < Math.abs(Math.log(best / inputRatio)) ? ratio : best,
  );
}

/** Width and height with the tier's long side and the ratio, both multiples of 16. */
export function outputSize(ratio: number, longSide: number): { width: number; height: number } {
  const short = (side: number): number => Math.max(GRID, Math.round(side / GRID) * GRID);
  return ratio >= 1
    ? { width: short(longSide), height: short(longSide / ratio) }
    : { width: short(longSide * ratio), height: short(longSide) };
}
