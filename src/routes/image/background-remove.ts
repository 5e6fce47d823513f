import type { FastifyInstance } from 'fastify';
import { setModelHeaders } from '../../http/response-headers.ts';
import { parseBackgroundRemoveImageRequest } from '../../schemas/image-background-remove.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readMediaBody, registerMediaScope } from '../media-form.ts';
import type { ImageRouteDependencies } from './index.ts';

/**
 * POST /image/background-remove (swagger: BackgroundRemoveImageRequest), JSON or multipart: the image as
 * a transparent PNG (image/png binary). A PNG is already deflated, so it is never compressed again.
 */
export function registerBackgroundRemoveRoute(
  app: FastifyInstance,
  { backgroundRemoval: service, auth }: ImageRouteDependencies,
): void {
  registerMediaScope(app, (scope) => {
    scope.post(
      '/image/background-remove',
      { onRequest: auth, compress: false },
      async (request, reply) => {
        const { fields } = await readMediaBody(request);
        const body = parseBackgroundRemoveImageRequest(fields);
        const billing = request.billing;
        const outcome = await service.remove(body, abortOnClose(request, reply), billing);
        setModelHeaders(reply, outcome.entry, outcome.servedBy);
        return reply.type('image/png').send(outcome.png);
      },
    );
  });
}
