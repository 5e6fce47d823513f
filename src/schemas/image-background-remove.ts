import { z } from 'zod';
import { parseOrThrow } from '../errors/validation.ts';
import { VeniceError } from '../errors/venice-error.ts';

const EITHER = 'Provide either image or image_url';

// swagger: BackgroundRemoveImageRequest, additionalProperties: false; JSON or multipart. `image` is a file
// part (Buffer) or a string: base64, a data URL, or (as on the edit endpoints) an http(s) URL. `image_url`
// is an http(s) URL, or a data URL (format: uri). Exactly one of them (its description: "either ... or").
export const backgroundRemoveImageRequest = z
  .strictObject({
    image: z.union([z.instanceof(Buffer), z.string()]).optional(),
    image_url: z.url({ protocol: /^(https?|data)$/ }).optional(),
  })
  .superRefine((request, context) => {
    if (request.image === undefined && request.image_url === undefined)
      context.addIssue({
        code: 'custom',
        path: ['image'],
        message: `${EITHER}; neither was given`,
      });
    if (request.image !== undefined && request.image_url !== undefined)
      context.addIssue({ code: 'custom', path: [], message: `${EITHER}, not both` });
  });
export type BackgroundRemoveImageRequest = z.infer<typeof backgroundRemoveImageRequest>;

/**
 * The request's fields, parsed. The endpoint runs one fixed model and takes no `model` field: sending one
 * is `400 invalid model id` (docs/guides/media/image-editing.mdx), not the unknown-key error.
 */
export function parseBackgroundRemoveImageRequest(fields: unknown): BackgroundRemoveImageRequest {
  if (typeof fields === 'object' && fields !== null && Object.hasOwn(fields, 'model')) {
    throw new VeniceError('INVALID_MODEL', {
      message: 'invalid model id',
      extra: { details: { _errors: [], model: { _errors: ['invalid model id'] } } },
    });
  }
  return parseOrThrow(backgroundRemoveImageRequest, fields);
}
