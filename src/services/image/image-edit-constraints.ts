import { z } from 'zod';
import type { ModelConfig } from '../../config.ts';
import { invalidRequest } from '../../errors/validation.ts';
import type { VeniceError } from '../../errors/venice-error.ts';
import type { EditAspectRatio } from '../../schemas/image-edit.ts';

export interface EditRequestTerms {
  prompt: string;
  imageCount: number;
  /** The request field of the images, named in errors. */
  field: 'image' | 'images';
  aspect_ratio?: EditAspectRatio | undefined;
  resolution?: string | undefined;
  quality?: 'low' | 'medium' | 'high' | undefined;
}

/** The 400 of a field the model does not take as sent, in the shape of every other validation error. */
function refused(field: string, message: string, input: unknown): VeniceError {
  return invalidRequest(new z.ZodError([{ code: 'custom', path: [field], message, input }]));
}

/**
 * Checks an edit against the model's constraints (swagger: Inpaint Model Constraints) and settles its tiers:
 * the prompt within promptCharacterLimit; at most maxInputImages images (default 3, or 1 when combineImages
 * is false); resolution, quality and aspect ratio among the ones the model lists, when it lists them. A
 * model without resolution tiers edits at "1K" whatever the request says, as a model without quality tiers
 * ignores quality (edit.mdx: "other models ignore the parameter"); the quality priced is then the request's,
 * else the model's default, else "high" (edit.mdx: billed "at the model's default tier").
 */
export function editTermsOf(
  config: ModelConfig,
  request: EditRequestTerms,
): { tier: string; quality: 'low' | 'medium' | 'high' } {
  const limits = config.imageConstraints;
  if (request.prompt.length > limits.promptCharacterLimit) {
    throw refused(
      'prompt',
      `The prompt is ${request.prompt.length} characters; model ${config.id} takes at most ${limits.promptCharacterLimit} (promptCharacterLimit)`,
      request.prompt.length,
    );
  }
  const maxImages = limits.maxInputImages ?? (limits.combineImages ? 3 : 1);
  if (request.imageCount > maxImages)
    throw refused(
      request.field,
      `Model ${config.id} takes at most ${maxImages} input image(s) (maxInputImages); ${request.imageCount} were sent`,
      request.imageCount,
    );
  const resolution = request.resolution ?? limits.defaultResolution ?? '1K';
  if (limits.resolutions !== undefined && !limits.resolutions.includes(resolution)) {
    throw refused(
      'resolution',
      `Resolution "${resolution}" is not offered by model ${config.id}; its resolutions: ${limits.resolutions.join(', ')}`,
      resolution,
    );
  }
  const quality = request.quality ?? limits.defaultQuality ?? 'high';
  if (limits.qualities !== undefined && !limits.qualities.includes(quality)) {
    throw refused(
      'quality',
      `Quality "${quality}" is not offered by model ${config.id}; its qualities: ${limits.qualities.join(', ')}`,
      quality,
    );
  }
  const aspect = request.aspect_ratio;
  if (
    aspect !== undefined &&
    aspect !== 'auto' &&
    limits.aspectRatios !== undefined &&
    !limits.aspectRatios.includes(aspect)
  ) {
    throw refused(
      'aspect_ratio',
      `Aspect ratio "${aspect}" is not offered by model ${config.id}; its aspect ratios: ${limits.aspectRatios.join(', ')}`,
      aspect,
    );
  }
  return { tier: limits.resolutions === undefined ? '1K' : resolution, quality };
}
