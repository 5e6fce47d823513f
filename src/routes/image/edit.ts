import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { editImageRequest } from '../../schemas/image-edit.ts';
import type { ImageEditOutcome } from '../../services/image/image-edit-service.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readMediaBody, registerMediaScope } from '../media-form.ts';
import type { ImageRouteDependencies } from './index.ts';

/**
 * The edited image as the body, with its Content-Type. Rialto runs no content classifier, so an image is
 * never flagged (x-venice-is-content-violation "false"); a refused prompt is a 422 instead. An encoded
 * image is not compressed again (INVENTORY §11.26).
 */
export function sendEditedImage(reply: FastifyReply, outcome: ImageEditOutcome): FastifyReply {
  setModelHeaders(reply, outcome.entry, outcome.servedBy);
  reply.header('x-venice-is-content-violation', 'false');
  return reply.type(outcome.contentType).send(outcome.image);
}

/**
 * POST /image/edit (swagger: EditImageRequest, strict), JSON or multipart: one image (a file, base64, a data
 * URL or an http(s) URL) edited by the prompt; `modelId` is the deprecated alias of `model`.
 */
export function registerEditRoute(
  app: FastifyInstance,
  { imageEdit: service, auth }: ImageRouteDependencies,
): void {
  registerMediaScope(app, (scope) => {
    scope.post('/image/edit', { onRequest: auth, compress: false }, async (request, reply) => {
      const { fields, multipart } = await readMediaBody(request);
      const body = parseOrThrow(editImageRequest(multipart), fields);
      const billing = request.billing;
      const outcome = await service.edit(
        {
          images: [body.image],
          field: 'image',
          model: body.model ?? body.modelId,
          prompt: body.prompt,
          aspect_ratio: body.aspect_ratio,
          resolution: body.resolution,
          output_format: body.output_format,
          quality: body.quality,
        },
        abortOnClose(request, reply),
        billing,
      );
      return sendEditedImage(reply, outcome);
    });
  });
}
