import type { ModelConfig } from '../config.ts';
import type { LimitClass, RateLimitTable } from '../rate-limit/rate-limiter.ts';
import type { ApiKeyRecord } from '../storage/store.ts';
import { nextEpochBegins } from './billing/limit-period.ts';

type ModelLimits = { apiModelId: string; rateLimits: { amount: number; type: 'RPM' | 'TPM' }[] };

/** swagger: getApiKeyRateLimits 200 `data` (INVENTORY §5.2; balances in UPPERCASE here, unlike /billing/balance). */
export interface RateLimitStatus {
  accessPermitted: boolean;
  apiTier: { id: string; isCharged: boolean };
  balances: { USD: number; DIEM: number };
  keyExpiration: string | null;
  nextEpochBegins: string;
  rateLimits: ModelLimits[];
}

/** The class each service admits a model's requests under (image-generation-service, speech-service, job-service, …). */
const CLASS_BY_TYPE: Partial<Record<ModelConfig['type'], LimitClass>> = {
  embedding: 'embedding',
  image: 'image',
  upscale: 'image',
  inpaint: 'image',
  video: 'image',
  tts: 'audio',
  asr: 'audio',
  music: 'audio',
};

/** The limit class a model's requests count against (chat: its text tier). */
export function limitClassOf(model: ModelConfig): LimitClass {
  return CLASS_BY_TYPE[model.type] ?? model.rateLimitTier;
}

export function isFree(model: ModelConfig): boolean {
  const { input, output, cache_input: cacheInput, extended } = model.pricing;
  return [input, output, cacheInput, extended?.input, extended?.output].every(
    (price) => price === undefined || (price.usd === 0 && price.diem === 0),
  );
}

/**
 * The status of the caller's key. `table` is undefined when rate limiting is off: then no limit applies and each
 * model lists none. The tier is `paid` when any model has a price, else `free` (Rialto has no account tiers).
 * accessPermitted: the key authenticated (not revoked or expired) and it can run something — its account has
 * a balance, or a free model is served. Key spend limits are not considered (they vary per model and request).
 */
export function rateLimitStatus(input: {
  key: ApiKeyRecord;
  balances: { usd: number; diem: number };
  models: readonly ModelConfig[];
  table: RateLimitTable | undefined;
  now: Date;
}): RateLimitStatus {
  const { key, balances, models, table, now } = input;
  const isCharged = models.some((model) => !isFree(model));
  const rateLimits = models.map((model): ModelLimits => {
    const limits = table?.[limitClassOf(model)];
    if (limits === undefined) return { apiModelId: model.id, rateLimits: [] };
    return {
      apiModelId: model.id,
      rateLimits: [
        { amount: limits.requestsPerMinute, type: 'RPM' },
        ...(limits.tokensPerMinute === undefined
          ? []
          : [{ amount: limits.tokensPerMinute, type: 'TPM' as const }]),
      ],
    };
  });
  return {
    accessPermitted: balances.usd > 0 || balances.diem > 0 || models.some(isFree),
    apiTier: { id: isCharged ? 'paid' : 'free', isCharged },
    balances: { USD: balances.usd, DIEM: balances.diem },
    keyExpiration: key.expiresAt,
    nextEpochBegins: nextEpochBegins(now),
    rateLimits,
  };
}
