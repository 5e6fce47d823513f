import { z } from 'zod';

// swagger: CreateEmbeddingRequestSchema, additionalProperties: false. Token arrays are refused (INVENTORY §1.2).
export const createEmbeddingRequest = z.strictObject({
  input: z.union([z.string().min(1), z.array(z.string()).min(1).max(2048)]),
  model: z.string().min(1),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});
export type CreateEmbeddingRequest = z.infer<typeof createEmbeddingRequest>;

/** swagger: the 200 of POST /embeddings (createEmbedding); `base64` vectors are strings, as OpenAI's are. */
export const embeddingResponse = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});
export type EmbeddingResponse = z.infer<typeof embeddingResponse>;
