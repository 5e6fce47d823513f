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
