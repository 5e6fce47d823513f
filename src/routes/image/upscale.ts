import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { upscaleImageRequest } from '../../schemas/image-upscale.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readMediaBody, registerMediaScope } from '../media-form.ts';
import type { ImageRouteDependencies } from './index.ts';

/**
 * POST /image/upscale (swagger: UpscaleImageRequest), JSON or multipart: the upscaled image as PNG
 * (image/png binary). A PNG is already deflated, so it is never compressed again (INVENTORY §11.26).
 */
export function registerUpscaleRoute(
  app: FastifyInstance,
  { upscale: service, auth }: ImageRouteDependencies,
): void {
  registerMediaScope(app, (scope) => {
    scope.post('/image/upscale', { onRequest: auth, compress: false }, async (request, reply) => {
      const { fields } = await readMediaBody(request);
      const body = parseOrThrow(upscaleImageRequest, fields);
      const billing = request.billing;
      const outcome = await service.upscale(body, abortOnClose(request, reply), billing);
      setModelHeaders(reply, outcome.entry, outcome.servedBy);
      return reply.type('image/png').send(outcome.png);
    });
  });
}
