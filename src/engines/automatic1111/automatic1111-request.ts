import type { Automatic1111EngineConfig } from '../../config.ts';
import type { ImageEditRequest, ImageGenerateRequest } from '../engine.ts';

// The request bodies of AUTOMATIC1111's API (modules/api/models.py: StableDiffusionTxt2ImgProcessingAPI and
// StableDiffusionImg2ImgProcessingAPI are pydantic models generated from StableDiffusionProcessing's
// __init__ parameters plus sampler_index, init_images, denoising_strength, send_images, save_images and
// force_task_id; unknown fields are ignored). Forge accepts the same bodies.

/** Settings every Rialto job carries: the configured checkpoint (restored afterwards), nothing saved to disk. */
function common(config: Automatic1111EngineConfig, taskId: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    sampler_name: config.sampler,
    n_iter: 1,
    send_images: true,
    save_images: false,
    // modules/progress.py: the id /internal/progress answers about, so an abandoned job can be interrupted.
    force_task_id: taskId,
  };
  if (config.checkpoint !== undefined) {
    body.override_settings = { sd_model_checkpoint: config.checkpoint };
    body.override_settings_restore_afterwards = true;
  }
  return body;
}

/**
 * A1111 reads seed -1 as "random" (modules/processing.py get_fixed_seed); Venice seeds go down to
 * -999,999,999. Negative seeds are moved above 2^32 - 10^9, where no non-negative Venice seed lands, so every
 * Venice seed stays deterministic and distinct.
 */
export function upstreamSeed(seed: number): number {
  return seed < 0 ? 2 ** 32 + seed : seed;
}

/** POST /sdapi/v1/txt2img: `count` images in one batch (A1111 seeds them seed, seed+1, …). */
export function txt2imgBody(
  request: ImageGenerateRequest,
  config: Automatic1111EngineConfig,
  taskId: string,
): Record<string, unknown> {
  return {
    ...common(config, taskId),
    prompt: request.prompt,
    negative_prompt: request.negativePrompt ?? '',
    width: request.width,
    height: request.height,
    steps: request.steps,
    cfg_scale: request.cfgScale,
    seed: upstreamSeed(request.seed),
    batch_size: request.count,
  };
}

/** POST /sdapi/v1/img2img on one (already composited) init image, base64 without a data: prefix. */
export function img2imgBody(
  request: ImageEditRequest,
  initImage: Buffer,
  config: Automatic1111EngineConfig,
  defaults: { steps: number; cfgScale: number },
  taskId: string,
): Record<string, unknown> {
  return {
    ...common(config, taskId),
    init_images: [initImage.toString('base64')],
    prompt: request.prompt,
    negative_prompt: '',
    denoising_strength: config.denoisingStrength,
    width: request.width,
    height: request.height,
    steps: defaults.steps,
    cfg_scale: defaults.cfgScale,
    seed: upstreamSeed(request.seed),
    batch_size: 1,
  };
}

/**
 * The Authorization header for an endpoint's apiKey: "user:pass" is HTTP Basic, as A1111's --api-auth
 * expects (modules/api/api.py uses FastAPI's HTTPBasic); anything else is sent as a Bearer token (for
 * a reverse proxy in front of the WebUI).
 */
export function authorizationOf(apiKey: string | undefined): Record<string, string> {
  if (apiKey === undefined) return {};
  if (apiKey.includes(':'))
    return { authorization: `Basic ${Buffer.from(apiKey, 'utf8').toString('base64')}` };
  return { authorization: `Bearer ${apiKey}` };
}
