import { z } from 'zod';

export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
const SEED_LIMIT = 999_999_999;

// swagger: GenerateImageRequest (additionalProperties: false); INVENTORY §1.1. Limits that depend on the
// model (promptCharacterLimit, widthHeightDivisor, steps.max, aspect ratios, resolutions, qualities) and
// style_preset's name are checked by the image generation service once the model is known. width, height,
// steps and cfg_scale default to the model's constraints; an absent seed is a random one.
export const generateImageRequest = z
  .strictObject({
    model: z.string().min(1),
    prompt: z.string().min(1).max(7500),
    negative_prompt: z.string().max(7500).optional(),
    width: z.number().int().positive().max(1280).optional(),
    height: z.number().int().positive().max(1280).optional(),
    aspect_ratio: z.string().min(1).max(16).optional(),
    resolution: z.string().min(1).max(10).optional(),
    quality: z.enum(['low', 'medium', 'high']).optional(),
    format: z.enum(IMAGE_FORMATS).default('webp'),
    return_binary: z.boolean().default(false),
    variants: z.number().int().min(1).max(4).optional(),
    safe_mode: z.boolean().default(true),
    hide_watermark: z.boolean().default(false),
    embed_exif_metadata: z.boolean().default(false),
    seed: z.number().int().min(-SEED_LIMIT).max(SEED_LIMIT).optional(),
    cfg_scale: z.number().gt(0).max(20).optional(),
    steps: z.number().int().positive().optional(),
    style_preset: z.string().min(1).max(100).optional(),
    lora_strength: z.number().int().min(0).max(100).optional(),
    // Deprecated and disabled since 2025-05-19 (swagger): null is accepted, anything else refused below.
    inpaint: z.unknown().optional(),
    enable_web_search: z.boolean().optional(),
    disable_prompt_optimization_thinking: z.boolean().optional(),
    enhance_prompt: z.boolean().optional(),
    style_references: z
      .array(
        z.strictObject({
          image: z.string().min(1),
          strength: z.number().min(0.1).max(1).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((request, context) => {
    // swagger: variants "Only supported when return_binary is false".
    if (request.return_binary && request.variants !== undefined && request.variants > 1) {
      context.addIssue({
        code: 'custom',
        path: ['variants'],
        message: 'variants is only supported when return_binary is false',
        input: request.variants,
      });
    }
    if (request.inpaint !== undefined && request.inpaint !== null) {
      context.addIssue({
        code: 'custom',
        path: ['inpaint'],
        message: 'inpaint was disabled on May 19th, 2025; use /image/edit',
        input: request.inpaint,
      });
    }
  });
export type GenerateImageRequest = z.infer<typeof generateImageRequest>;

export const OPENAI_IMAGE_SIZES = [
  'auto',
  '256x256',
  '512x512',
  '1024x1024',
  '1536x1024',
  '1024x1536',
  '1792x1024',
  '1024x1792',
] as const;

// swagger: SimpleGenerateImageRequest (additionalProperties: false); INVENTORY §1 row 4 and §11.15. `safe_mode`
// is not a field here, so it is refused like any unknown key. background, quality, style,
// output_compression and user are accepted for OpenAI compatibility and not used.
export const simpleGenerateImageRequest = z.strictObject({
  prompt: z.string().min(1).max(1500),
  model: z.string().min(1).default('default'),
  n: z.number().int().min(1).max(1).nullable().default(1),
  size: z.enum(OPENAI_IMAGE_SIZES).nullable().default('auto'),
  response_format: z.enum(['b64_json', 'url']).nullable().default('b64_json'),
  output_format: z.enum(IMAGE_FORMATS).default('png'),
  moderation: z.enum(['low', 'auto']).nullable().default('auto'),
  background: z.enum(['transparent', 'opaque', 'auto']).nullable().optional(),
  quality: z.enum(['auto', 'high', 'medium', 'low', 'hd', 'standard']).nullable().optional(),
  style: z.enum(['vivid', 'natural']).nullable().optional(),
  output_compression: z.number().int().min(0).max(100).nullable().optional(),
  user: z.string().optional(),
});
export type SimpleGenerateImageRequest = z.infer<typeof simpleGenerateImageRequest>;
