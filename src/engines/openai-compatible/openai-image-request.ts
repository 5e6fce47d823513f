import type { ImageEditRequest, ImageGenerateRequest } from '../engine.ts';
import { imageFileOf, multipartForm, type FormValue } from './openai-image-form.ts';
import { jsonBody, type UpstreamBody } from '../upstream/upstream-answer.ts';

/**
 * The request bodies of the two image dialects (config `imageApi`):
 * - `openai`: only fields of OpenAI's spec (node_modules/openai/resources/images.d.ts, ImageGenerateParamsBase and
 *   ImageEditParamsBase), since OpenAI refuses unknown parameters: model, prompt, n, size, quality (when the
 *   model has quality tiers) and response_format "b64_json" — except to the GPT image models, which always
 *   answer base64 and refuse response_format ("Unknown parameter: 'response_format'."). The seed and negative
 *   prompt have no field there and are not sent.
 * - `localai`: LocalAI's /v1/images/generations (mudler/LocalAI core/http/endpoints/openai/image.go) also takes
 *   `seed` and `step`, a negative prompt after a `|` in the prompt, and input images as base64 in `file` (the
 *   image to edit) and `ref_images` (further references); LocalAI has no /images/edits, so edits go there too.
 */

/** GPT image models (gpt-image-1, gpt-image-1.5, gpt-image-2, chatgpt-image-latest) refuse response_format. */
export function takesResponseFormat(model: string): boolean {
  return !/^(gpt-image|chatgpt-image)/i.test(model);
}

/**
 * The size to ask for: the wanted one, or among the sizes the upstream accepts the one closest in aspect
 * ratio, then in area (the service resizes what comes back to the size it wants).
 */
export function sizeFor(width: number, height: number, accepted?: readonly string[]): string {
  if (accepted === undefined) return `${width}x${height}`;
  const distance = (size: string): [number, number] => {
    const [w = 1, h = 1] = size.split('x').map(Number);
    return [Math.abs(Math.log(w / h / (width / height))), Math.abs(w * h - width * height)];
  };
  return [...accepted].sort((a, b) => {
    const [aspectA, areaA] = distance(a);
    const [aspectB, areaB] = distance(b);
    return Math.abs(aspectA - aspectB) > 1e-9 ? aspectA - aspectB : areaA - areaB;
  })[0]!;
}

function common(
  model: string,
  prompt: string,
  size: string,
  quality: string | undefined,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model, prompt, size };
  if (takesResponseFormat(model)) body.response_format = 'b64_json';
  if (quality !== undefined) body.quality = quality;
  return body;
}

/** POST /images/generations. */
export function generationBody(
  request: ImageGenerateRequest,
  dialect: 'openai' | 'localai',
  size: string,
): UpstreamBody {
  if (dialect === 'openai')
    return jsonBody({
      ...common(request.model, request.prompt, size, request.quality),
      n: request.count,
    });
  const prompt =
    request.negativePrompt === undefined || request.negativePrompt === ''
      ? request.prompt
      : `${request.prompt}|${request.negativePrompt}`;
  return jsonBody({
    ...common(request.model, prompt, size, request.quality),
    n: request.count,
    seed: request.seed,
    step: request.steps,
  });
}

/**
 * An edit for the `openai` dialect: multipart POST /images/edits. One image goes as `image` (what every
 * model, DALL·E 2 included, takes); several go as repeated `image[]` (the GPT image models take up to 16;
 * the form openai-node sends for an array, node_modules/openai/internal/uploads.js).
 */
export function editForm(request: ImageEditRequest, size: string): UpstreamBody {
  const fields: [string, FormValue][] = Object.entries(
    common(request.model, request.prompt, size, request.quality),
  ).map(([name, value]) => [name, String(value)]);
  fields.push(['n', '1']);
  const name = request.images.length === 1 ? 'image' : 'image[]';
  for (const [index, image] of request.images.entries())
    fields.push([name, imageFileOf(image, index)]);
  return multipartForm(fields);
}

/** An edit for the `localai` dialect: img2img on POST /images/generations, the first image in `file`, the rest in `ref_images`. */
export function localEditBody(request: ImageEditRequest, size: string): UpstreamBody {
  const [first, ...rest] = request.images.map((image) => image.toString('base64'));
  const body: Record<string, unknown> = {
    ...common(request.model, request.prompt, size, request.quality),
    n: 1,
    seed: request.seed,
    file: first,
  };
  if (rest.length > 0) body.ref_images = rest;
  return jsonBody(body);
}
