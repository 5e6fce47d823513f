import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import {
  multiEditImageJsonRequest,
  multiEditImageMultipartRequest,
} from '../../schemas/image-edit.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readMediaBody, registerMediaScope } from '../media-form.ts';
import { sendEditedImage } from './edit.ts';
import type { ImageRouteDependencies } from './index.ts';

/** Most file parts a multi-edit form may carry (a model's maxInputImages above it is capped here). */
const MAX_FILES = 16;

/**
 * POST /image/multi-edit: the first image is the base, the rest layers or masks, up to the model's
 * maxInputImages. JSON (swagger: MultiEditImageRequest, strict) takes base64, data URLs and http(s) URLs;
 * multipart (MultiEditImageMultipartRequest, not strict) takes `images` file parts only. The model field
 * is `modelId` (INVENTORY §11.17).
 */
export function registerMultiEditRoute(
  app: FastifyInstance,
  { imageEdit: service, auth }: ImageRouteDependencies,
): void {
  registerMediaScope(
    app,
    (scope) => {
      scope.post(
        '/image/multi-edit',
        { onRequest: auth, compress: false },
        async (request, reply) => {
          const { fields, multipart } = await readMediaBody(request);
          const body = multipart
            ? parseOrThrow(multiEditImageMultipartRequest, fields)
            : parseOrThrow(multiEditImageJsonRequest, fields);
          const billing = request.billing;
          const outcome = await service.edit(
            {
              images: body.images,
              field: 'images',
              model: body.modelId,
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
        },
      );
    },
    { files: MAX_FILES },
  );
}
