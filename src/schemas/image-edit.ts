import { z } from 'zod';

/** swagger: EditImageRequest.aspect_ratio and MultiEditImageRequest.aspect_ratio. */
export const EDIT_ASPECT_RATIOS = [
  'auto',
  '1:1',
  '3:2',
  '16:9',
  '21:9',
  '9:16',
  '2:3',
  '3:4',
  '4:5',
] as const;
export type EditAspectRatio = (typeof EDIT_ASPECT_RATIOS)[number];

/** swagger: EditImageRequest.prompt (the model's promptCharacterLimit is checked by the service). */
const MAX_PROMPT = 32_768;

/** Both forms of a boolean: JSON's, and a multipart text field's "true" / "false". */
function flag(multipart: boolean): z.ZodType<boolean> {
  return multipart ? z.stringbool() : z.boolean();
}

/**
 * The fields /image/edit and /image/multi-edit share. `output_format` also takes "jpg" (its description:
 * "Accepts jpeg, jpg, png, or webp"), read as jpeg. `quality` is accepted on /image/edit too (INVENTORY §12
 * row 6: edit.mdx sends it). safe_mode, enhance_prompt and disable_prompt_optimization_thinking are
 * validated; Rialto has no adult-content classifier nor prompt enhancer, so they change nothing.
 */
function shared(multipart: boolean) {
  return {
    prompt: z.string().min(1).max(MAX_PROMPT),
    aspect_ratio: z.enum(EDIT_ASPECT_RATIOS).optional(),
    resolution: z.string().min(1).max(10).optional(),
    output_format: z
      .enum(['jpeg', 'jpg', 'png', 'webp'])
      .transform((format) => (format === 'jpg' ? 'jpeg' : format))
      .optional(),
    quality: z.enum(['low', 'medium', 'high']).optional(),
    safe_mode: flag(multipart).default(true),
    enhance_prompt: flag(multipart).optional(),
    disable_prompt_optimization_thinking: flag(multipart).optional(),
  };
}

const modelId = z.string().min(1);

/** One image: a file part (multipart), or base64, a data URL or an http(s) URL. */
const imageValue = z.custom<Buffer | string>(
  (value) => Buffer.isBuffer(value) || (typeof value === 'string' && value.length > 0),
  {
    error: (issue) =>
      issue.input === undefined
        ? 'Required'
        : 'Expected one image: a file, a base64-encoded string, a data URL or an http(s) URL',
  },
);

// swagger: EditImageRequest (JSON and multipart/form-data), additionalProperties: false. `model` names a
// Rialto inpaint model (id, trait or alias; default: the first inpaint model) where the swagger's default
// names Venice's hosted firered-image-edit; `modelId` is its deprecated alias (the request body's allOf).
export function editImageRequest(multipart: boolean) {
  return z.strictObject({
    image: imageValue,
    model: modelId.optional(),
    modelId: modelId.optional(),
    ...shared(multipart),
  });
}
export type EditImageRequest = z.infer<ReturnType<typeof editImageRequest>>;

// swagger: MultiEditImageRequest (JSON, additionalProperties: false): `images` are strings (base64, data
// URLs, http(s) URLs), and the model field is `modelId` (INVENTORY §11.17).
export const multiEditImageJsonRequest = z.strictObject({
  images: z.array(z.string().min(1)).min(1),
  modelId: modelId.optional(),
  ...shared(false),
});

// swagger: MultiEditImageMultipartRequest, NOT strict (unknown fields are dropped): `images` are file parts
// only ("Only file uploads are supported with multipart/form-data"); one file arrives as a single value.
export const multiEditImageMultipartRequest = z.object({
  images: z.preprocess(
    (value) => (value === undefined || Array.isArray(value) ? value : [value]),
    z
      .array(
        z.instanceof(Buffer, { message: 'multipart/form-data takes images as file uploads only' }),
      )
      .min(1),
  ),
  modelId: modelId.optional(),
  ...shared(true),
});

export type MultiEditImageRequest =
  | z.infer<typeof multiEditImageJsonRequest>
  | z.infer<typeof multiEditImageMultipartRequest>;
