import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { generateImageRequest } from '../../schemas/image-generate.ts';
import type { ImageGenerationService } from '../../services/image/image-generation-service.ts';
import { IMAGE_CONTENT_TYPES } from '../../services/media/image-input.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { registerSimpleGenerateRoute, setGenerationHeaders } from './generations.ts';
import { registerStylesRoute } from './styles.ts';

/**
 * POST /image/generate (swagger: GenerateImageRequest): JSON {id, images (base64), request, timing}, or
 * with return_binary the image itself as image/<format>. Only the JSON answer is compressed (INVENTORY
 * §11.26; image types are not compressible to @fastify/compress). `request` echoes the validated request
 * with its defaults and the seed used.
 */
export function registerGenerateRoute(
  app: FastifyInstance,
  service: ImageGenerationService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/image/generate', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(generateImageRequest, request.body);
    const billing = request.billing;
    const outcome = await service.generate(body, abortOnClose(request, reply), billing);
    setGenerationHeaders(reply, outcome);
    if (body.return_binary)
      return reply.type(IMAGE_CONTENT_TYPES[outcome.format]).send(outcome.images[0]);
    return {
      id: outcome.id,
      images: outcome.images.map((image) => image.toString('base64')),
      request: { ...body, seed: outcome.seed },
      timing: outcome.timing,
    };
  });
}

/** /image/generate, /images/generations and /image/styles on one ImageGenerationService. */
export function registerGenerationRoutes(
  app: FastifyInstance,
  dependencies: { imageGeneration: ImageGenerationService; auth: onRequestAsyncHookHandler },
): void {
  const { imageGeneration: service, auth } = dependencies;
  registerGenerateRoute(app, service, auth);
  registerSimpleGenerateRoute(app, service, auth);
  registerStylesRoute(app);
}
