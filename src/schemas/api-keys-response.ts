import { z } from 'zod';

// What Rialto writes of the swagger's /api_keys answers (createApiKey, updateApiKey, getApiKeys, getApiKeyById).

/** swagger: consumptionLimit(s) {usd, diem, vcu}: numbers in USD / DIEM, null for no limit. */
const limits = z.object({
  usd: z.number().nullable(),
  diem: z.number().nullable(),
  vcu: z.number().nullable(),
});

const common = {
  apiKeyType: z.enum(['INFERENCE', 'ADMIN']),
  limitPeriod: z.enum(['EPOCH', 'MONTH', 'LIFETIME']),
  modelPrivacy: z.enum(['ALL', 'PRIVATE_TEXT', 'PRIVATE_ONLY']),
  description: z.string(),
  expiresAt: z.string().nullable(),
  id: z.string(),
};

/** swagger: createApiKey 200 `data` (singular consumptionLimit; the only answer that carries the secret). */
export const createdApiKey = z.object({ apiKey: z.string(), consumptionLimit: limits, ...common });

/** swagger: updateApiKey 200 `data`: the key without usage. Never the secret or its hash. */
export const apiKey = z.object({
  consumptionLimits: limits,
  ...common,
  createdAt: z.string().nullable(),
  last6Chars: z.string(),
  lastUsedAt: z.string().nullable(),
});

/** swagger: getApiKeys items and getApiKeyById `data`: the key with its usage (decimal strings). */
export const apiKeyDetail = apiKey.extend({
  usage: z.object({
    trailingSevenDays: z.object({ usd: z.string(), diem: z.string(), vcu: z.string() }),
  }),
  currentPeriodUsage: z.object({ usd: z.string(), diem: z.string() }).optional(),
});

export const createApiKeyResponse = z.object({ success: z.boolean(), data: createdApiKey });
export const updateApiKeyResponse = z.object({ success: z.boolean(), data: apiKey });
export const getApiKeysResponse = z.object({
  object: z.literal('list'),
  data: z.array(apiKeyDetail),
});
export const getApiKeyByIdResponse = z.object({ data: apiKeyDetail });

export type ConsumptionLimitsView = z.infer<typeof limits>;
export type CreatedApiKey = z.infer<typeof createdApiKey>;
export type ApiKey = z.infer<typeof apiKey>;
export type ApiKeyDetail = z.infer<typeof apiKeyDetail>;
