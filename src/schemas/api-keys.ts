import { z } from 'zod';

// swagger: /api_keys (createApiKey, updateApiKey, deleteApiKey) and /api_keys/{id}; INVENTORY §1 rows 13–17, §7.

export const apiKeyType = z.enum(['INFERENCE', 'ADMIN']);
export const limitPeriod = z.enum(['EPOCH', 'MONTH', 'LIFETIME']);
export const modelPrivacy = z.enum(['ALL', 'PRIVATE_TEXT', 'PRIVATE_ONLY']);

const limit = z.number().min(0).max(9999999999).nullable();

// swagger: consumptionLimit {usd, diem, vcu}, each 0..9999999999 or null. The swagger leaves extra keys open here;
// Rialto refuses them, so a misspelt currency ("USD") cannot silently leave a key without its intended cap.
export const consumptionLimit = z.strictObject({
  usd: limit.optional(),
  diem: limit.optional(),
  vcu: limit.optional(),
});
export type ConsumptionLimitInput = z.infer<typeof consumptionLimit>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/**
 * swagger: expiresAt, "" | YYYY-MM-DD | YYYY-MM-DDTHH:MM:SS(.mmm)Z. Normalised to an ISO instant (a bare date is
 * 00:00 UTC that day), or null for "" (no expiry). A date that does not exist or is not in the future is refused:
 * such a key could never be used.
 */
export const expiresAt = z
  .union([z.literal(''), z.string().regex(DATE), z.string().regex(DATE_TIME)], {
    error: 'expiresAt must be "", YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS(.mmm)Z',
  })
  .transform((value, context) => {
    if (value === '') return null;
    const at = Date.parse(value);
    const instant = Number.isNaN(at) ? '' : new Date(at).toISOString();
    const compared = value.length === 10 ? 10 : 19;
    // Date.parse rolls 2026-02-30 over to March 2; comparing the text catches it.
    if (instant.slice(0, compared) !== value.slice(0, compared)) {
      context.addIssue({ code: 'custom', message: 'expiresAt is not a valid date' });
      return z.NEVER;
    }
    if (at <= Date.now()) {
      context.addIssue({ code: 'custom', message: 'expiresAt must be in the future' });
      return z.NEVER;
    }
    return instant;
  });

export const createApiKeyRequest = z.strictObject({
  apiKeyType,
  description: z.string().max(64),
  expiresAt: expiresAt.optional(),
  consumptionLimit: consumptionLimit.optional(),
  limitPeriod: limitPeriod.optional(),
  modelPrivacy: modelPrivacy.optional(),
});
export type CreateApiKeyRequest = z.infer<typeof createApiKeyRequest>;

// swagger: updateApiKey, id in the body; expiresAt "" or null removes the expiry. The guide sends the plural
// `consumptionLimits` where the swagger has the singular: both are accepted (INVENTORY §7.2), not both at once.
export const updateApiKeyRequest = z
  .strictObject({
    id: z.string().min(1),
    description: z.string().max(64).optional(),
    expiresAt: expiresAt.nullable().optional(),
    consumptionLimit: consumptionLimit.optional(),
    consumptionLimits: consumptionLimit.optional(),
    limitPeriod: limitPeriod.optional(),
    modelPrivacy: modelPrivacy.optional(),
  })
  .refine((body) => body.consumptionLimit === undefined || body.consumptionLimits === undefined, {
    message: 'Send consumptionLimit or consumptionLimits, not both',
    path: ['consumptionLimits'],
  });
export type UpdateApiKeyRequest = z.infer<typeof updateApiKeyRequest>;

// swagger: deleteApiKey, `id` in the query (declared required: false; without it there is nothing to delete).
export const deleteApiKeyQuery = z.object({ id: z.string().min(1) });

export const apiKeyIdParams = z.object({ id: z.string().min(1) });
