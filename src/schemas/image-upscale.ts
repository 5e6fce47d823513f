import { z } from 'zod';

/** swagger: UpscaleImageRequest.creativity's default and range. */
export const DEFAULT_CREATIVITY = 0.01;
const MAX_CREATIVITY = 0.02;

/** Multipart text fields carry numbers as strings; JSON carries them as numbers. */
function toNumber(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

// swagger: UpscaleImageRequest, NOT strict (INVENTORY §0 "Strict bodies"): unknown keys are ignored.
// `image` is a file part (multipart) or a string: base64, a data URL, or an http(s) URL (INVENTORY §11.17:
// the image endpoints take URLs too). `scale` is 2 or 4 (swagger: "Must be either 2 or 4", minimum 2,
// maximum 4, so 3 is refused); the service lowers 4 to 2 when the output would be too large. `creativity`
// is clamped to 0..0.02 rather than refused ("Clamped to the 0–0.02 range"); null means the default.
export const upscaleImageRequest = z.object({
  image: z.custom<Buffer | string>((value) => Buffer.isBuffer(value) || typeof value === 'string', {
    error: (issue) =>
      issue.input === undefined
        ? 'Required'
        : 'Expected one image: a file, a base64-encoded string, a data URL or an http(s) URL',
  }),
  scale: z
    .preprocess(
      toNumber,
      z.number().refine((scale) => scale === 2 || scale === 4, 'Scale must be either 2 or 4'),
    )
    .default(2),
  creativity: z
    .preprocess(toNumber, z.number().nullable())
    .default(DEFAULT_CREATIVITY)
    .transform((creativity) =>
      creativity === null ? DEFAULT_CREATIVITY : Math.min(MAX_CREATIVITY, Math.max(0, creativity)),
    ),
});
export type UpscaleImageRequest = z.infer<typeof upscaleImageRequest>;
