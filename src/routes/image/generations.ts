import type { FastifyInstance, FastifyReply, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { simpleGenerateImageRequest } from '../../schemas/image-generate.ts';
import type {
  GenerationOutcome,
  ImageGenerationService,
} from '../../services/image/image-generation-service.ts';
import { IMAGE_CONTENT_TYPES } from '../../services/media/image-input.ts';
import { abortOnClose } from '../abort-on-close.ts';

/**
 * The headers of a generation, on both generation routes (swagger: /image/generate and /images/generations
 * 200 headers): the model's (and its deprecation notices), x-venice-is-blurred (Safe Mode blurred an image),
 * x-venice-is-content-violation, "false" (a refusal is a 422 instead), and x-venice-enhanced-prompt,
 * URL-encoded, when enhance_prompt produced a rewrite.
 */
export function setGenerationHeaders(reply: FastifyReply, outcome: GenerationOutcome): void {
  setModelHeaders(reply, outcome.entry, outcome.servedBy);
  reply.header('x-venice-is-blurred', String(outcome.blurred));
  reply.header('x-venice-is-content-violation', 'false');
  if (outcome.enhancedPrompt !== undefined)
    reply.header('x-venice-enhanced-prompt', encodeURIComponent(outcome.enhancedPrompt));
}

/**
 * POST /images/generations (swagger: SimpleGenerateImageRequest, OpenAI-compatible): {created, data: [one
 * item]}, the item {b64_json} or, for response_format "url", {url} holding a data URL (INVENTORY §11.15).
 */
export function registerSimpleGenerateRoute(
  app: FastifyInstance,
  service: ImageGenerationService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/images/generations', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(simpleGenerateImageRequest, request.body);
    const billing = request.billing;
    const outcome = await service.generateSimple(body, abortOnClose(request, reply), billing);
    setGenerationHeaders(reply, outcome);
    const encoded = outcome.images[0]!.toString('base64');
    const item =
      body.response_format === 'url'
        ? { url: `data:${IMAGE_CONTENT_TYPES[outcome.format]};base64,${encoded}` }
        : { b64_json: encoded };
    return { created: Math.floor(Date.now() / 1000), data: [item] };
  });
}
