import { z } from 'zod';

/** swagger: ProviderContentPolicyError, the 422 of /video/retrieve and /audio/retrieve when the engine refused the job. */
export const providerContentPolicyError = z.object({
  error: z.object({
    message: z.string(),
    type: z.literal('provider_content_policy'),
    credits_refunded: z.boolean(),
    recommended_model: z.string().optional(),
  }),
});
export type ProviderContentPolicyErrorBody = z.infer<typeof providerContentPolicyError>;
