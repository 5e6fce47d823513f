import { z } from 'zod';
import type { ModelConfig } from '../../config.ts';
import { invalidRequest } from '../../errors/validation.ts';
import type { GenerateImageRequest } from '../../schemas/image-generate.ts';
import { sizesByAspectRatio } from './image-dimensions.ts';
import { findImageStyle } from './image-styles.ts';

type Issue = { path: string[]; message: string; input: unknown };

function tooLong(
  field: 'prompt' | 'negative_prompt',
  value: string | undefined,
  limit: number,
  model: string,
): Issue[] {
  if (value === undefined || value.length <= limit) return [];
  return [
    {
      path: [field],
      message: `Too big: expected string to have <=${limit} characters (the promptCharacterLimit of ${model})`,
      input: value.length,
    },
  ];
}

/** A value outside a list the model's constraints give (aspect ratios, resolutions, qualities). */
function notListed(
  field: string,
  value: string | undefined,
  allowed: readonly string[] | undefined,
  model: string,
): Issue[] {
  if (value === undefined || allowed === undefined || allowed.includes(value)) return [];
  return [
    {
      path: [field],
      message: `Invalid option: ${model} accepts ${allowed.map((option) => JSON.stringify(option)).join(', ')}`,
      input: value,
    },
  ];
}

/**
 * The limits of GenerateImageRequest that depend on the model (swagger: ModelResponse.model_spec.constraints,
 * INVENTORY §1.1): prompt lengths, width/height within maxDimension and divisible by widthHeightDivisor,
 * steps ≤ steps.max, aspect ratio / resolution / quality among the model's, a known style preset, and no
 * style references (no Rialto model supports them). Throws the 400 validation error naming every problem.
 */
export function checkImageRequest(request: GenerateImageRequest, config: ModelConfig): void {
  const limits = config.imageConstraints;
  const model = config.id;
  const issues: Issue[] = [
    ...tooLong('prompt', request.prompt, limits.promptCharacterLimit, model),
    ...tooLong('negative_prompt', request.negative_prompt, limits.promptCharacterLimit, model),
  ];
  if (!sizesByAspectRatio(limits)) {
    for (const field of ['width', 'height'] as const) {
      const value = request[field];
      if (value === undefined) continue;
      if (value > limits.maxDimension)
        issues.push({
          path: [field],
          message: `Too big: expected number to be <=${limits.maxDimension} for ${model}`,
          input: value,
        });
      else if (value % limits.widthHeightDivisor !== 0)
        issues.push({
          path: [field],
          message: `${field} must be divisible by ${limits.widthHeightDivisor} for ${model}`,
          input: value,
        });
    }
  }
  if (request.steps !== undefined && request.steps > limits.steps.max) {
    issues.push({
      path: ['steps'],
      message: `Too big: expected number to be <=${limits.steps.max} for ${model}`,
      input: request.steps,
    });
  }
  issues.push(...notListed('aspect_ratio', request.aspect_ratio, limits.aspectRatios, model));
  issues.push(...notListed('resolution', request.resolution, limits.resolutions, model));
  issues.push(...notListed('quality', request.quality, limits.qualities, model));
  if (request.style_preset !== undefined && findImageStyle(request.style_preset) === undefined) {
    issues.push({
      path: ['style_preset'],
      message: `Unknown style preset "${request.style_preset}"; GET /image/styles lists them`,
      input: request.style_preset,
    });
  }
  if (request.style_references !== undefined && request.style_references.length > 0) {
    issues.push({
      path: ['style_references'],
      message: `${model} does not support style references (model_spec.supportsStyleReferences is false)`,
      input: request.style_references.length,
    });
  }
  refuse(issues);
}

/** /images/generations: the prompt within the model's promptCharacterLimit. */
export function checkPromptLength(prompt: string, config: ModelConfig): void {
  refuse(tooLong('prompt', prompt, config.imageConstraints.promptCharacterLimit, config.id));
}

function refuse(issues: Issue[]): void {
  if (issues.length > 0)
    throw invalidRequest(
      new z.ZodError(issues.map((issue) => ({ code: 'custom' as const, ...issue }))),
    );
}
