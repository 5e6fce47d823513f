import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { BackgroundRemovalService } from '../../services/image/background-removal-service.ts';
import type { ImageEditService } from '../../services/image/image-edit-service.ts';
import type { ImageGenerationService } from '../../services/image/image-generation-service.ts';
import type { UpscaleService } from '../../services/image/upscale-service.ts';
import { registerBackgroundRemoveRoute } from './background-remove.ts';
import { registerGenerationRoutes } from './generate.ts';
import { registerEditRoute } from './edit.ts';
import { registerMultiEditRoute } from './multi-edit.ts';
import { registerUpscaleRoute } from './upscale.ts';

export interface ImageRouteDependencies {
  /** Generation, with enhance_prompt and Safe Mode as configured. */
  imageGeneration: ImageGenerationService;
  imageEdit: ImageEditService;
  upscale: UpscaleService;
  backgroundRemoval: BackgroundRemovalService;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The image routes: /image/* and the OpenAI-compatible /images/generations. */
export function registerImageRoutes(
  app: FastifyInstance,
  dependencies: ImageRouteDependencies,
): void {
  registerBackgroundRemoveRoute(app, dependencies);
  registerEditRoute(app, dependencies);
  registerMultiEditRoute(app, dependencies);
  registerUpscaleRoute(app, dependencies);
  registerGenerationRoutes(app, dependencies);
}
