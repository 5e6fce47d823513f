import type {
  ApiKey,
  ApiKeyDetail,
  ConsumptionLimitsView,
  CreatedApiKey,
} from '../schemas/api-keys-response.ts';
import {
  MAX_NANOS,
  type ApiKeyRecord,
  type ConsumptionLimits,
  type Nanos,
} from '../storage/store.ts';
import { fromNanos, NANOS_PER_UNIT, toNanos } from './billing/money.ts';
import type { CreatedKey, KeyUsage } from './key-service.ts';

// Key records in the swagger's shapes (/api_keys, /api_keys/{id}; INVENTORY §7.1). The store counts money in
// integer nano-units; the API speaks decimal numbers (limits) and decimal strings (usage).

const NANO_DIGITS = 9;
/** The swagger's usage examples carry four decimals ("2.5000"); finer spend keeps its digits, up to nanos. */
const MIN_FRACTION_DIGITS = 4;

/** swagger: consumptionLimit(s) {usd, diem, vcu}, numbers in USD / DIEM, null for no limit. */
export type LimitsView = ConsumptionLimitsView;

/**
 * The largest whole limit whose nano-units the store holds exactly (MAX_NANOS). The swagger allows up to
 * 9999999999; a larger limit than this one is stored as this one, which is unlimited in practice (no balance,
 * also capped at MAX_NANOS, can pay for more).
 */
export const MAX_STORED_LIMIT = Math.floor(MAX_NANOS / NANOS_PER_UNIT);

/** Limits as a request gives them; an absent currency is left out of the result (a PATCH keeps it). */
export function limitsToNanos(input: {
  usd?: number | null | undefined;
  diem?: number | null | undefined;
  vcu?: number | null | undefined;
}): Partial<ConsumptionLimits> {
  const limits: Partial<ConsumptionLimits> = {};
  for (const currency of ['usd', 'diem', 'vcu'] as const) {
    const value = input[currency];
    if (value !== undefined)
      limits[currency] = value === null ? null : toNanos(Math.min(value, MAX_STORED_LIMIT));
  }
  return limits;
}

export function limitsView(limits: ConsumptionLimits): LimitsView {
  const toUnits = (nanos: Nanos | null): number | null =>
    nanos === null ? null : fromNanos(nanos);
  return { usd: toUnits(limits.usd), diem: toUnits(limits.diem), vcu: toUnits(limits.vcu) };
}

/** Nano-units as a decimal string: "1.2345", "0.000012", "3.0000" (exact; no floating-point rounding). */
export function formatNanos(nanos: Nanos): string {
  const total = BigInt(Math.round(nanos));
  const sign = total < 0n ? '-' : '';
  const magnitude = total < 0n ? -total : total;
  const fraction = (magnitude % BigInt(NANOS_PER_UNIT)).toString().padStart(NANO_DIGITS, '0');
  const trimmed =
    fraction.slice(0, MIN_FRACTION_DIGITS) + fraction.slice(MIN_FRACTION_DIGITS).replace(/0+$/, '');
  return `${sign}${magnitude / BigInt(NANOS_PER_UNIT)}.${trimmed}`;
}

/** swagger: createApiKey 200 `data` (singular consumptionLimit; the only answer that carries the secret). */
export function createdKeyView({ apiKey, record }: CreatedKey): CreatedApiKey {
  return {
    apiKey,
    apiKeyType: record.apiKeyType,
    consumptionLimit: limitsView(record.consumptionLimits),
    limitPeriod: record.limitPeriod,
    modelPrivacy: record.modelPrivacy,
    description: record.description,
    expiresAt: record.expiresAt,
    id: record.id,
  };
}

/** swagger: updateApiKey 200 `data`: the key without usage (plural consumptionLimits). Never the secret or its hash. */
export function apiKeyView(record: ApiKeyRecord): ApiKey {
  return {
    apiKeyType: record.apiKeyType,
    consumptionLimits: limitsView(record.consumptionLimits),
    limitPeriod: record.limitPeriod,
    modelPrivacy: record.modelPrivacy,
    createdAt: record.createdAt,
    description: record.description,
    expiresAt: record.expiresAt,
    id: record.id,
    last6Chars: record.last6,
    lastUsedAt: record.lastUsedAt,
  };
}

/** swagger: getApiKeys items and getApiKeyById `data`: the key with its usage (VCU is retired: always zero). */
export function apiKeyDetailView(record: ApiKeyRecord, usage: KeyUsage): ApiKeyDetail {
  const { USD, DIEM } = usage.trailingSevenDays;
  const period = usage.currentPeriod;
  return {
    ...apiKeyView(record),
    usage: {
      trailingSevenDays: { usd: formatNanos(USD), diem: formatNanos(DIEM), vcu: formatNanos(0) },
    },
    ...(period === undefined
      ? {}
      : {
          currentPeriodUsage: {
            usd: formatNanos(period.usdSpent),
            diem: formatNanos(period.diemSpent),
          },
        }),
  };
}
