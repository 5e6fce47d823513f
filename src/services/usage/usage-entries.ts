import type { TextPricing } from '../../config.ts';
import type { UsageRecord } from '../../storage/store.ts';
import { fromNanos } from '../billing/money.ts';
import { splitUsage, type UsagePart } from './usage-split.ts';

/** swagger: getBillingUsageHistory data item (all eight fields required, no others). */
export interface UsageEntry {
  amount: number;
  currency: 'USD' | 'DIEM' | 'BUNDLED_CREDITS';
  inferenceDetails: {
    completionTokens: number | null;
    inferenceExecutionTime: number | null;
    promptTokens: number | null;
    requestId: string;
  } | null;
  notes: string;
  pricePerUnitUsd: number;
  sku: string;
  timestamp: string;
  units: number;
}

const SKU_SUFFIX: Record<UsagePart['kind'], string> = {
  input: 'input-mtoken',
  'cache-read': 'cache-input-mtoken',
  output: 'output-mtoken',
  unit: 'request',
};

function skuOf(record: UsageRecord, part: UsagePart): string {
  // INVENTORY §6.5: `<model>-llm-input-mtoken`, `<model>-llm-output-mtoken`.
  const family = record.modelType === 'text' ? 'llm' : record.modelType;
  return `${record.modelId}-${family}-${SKU_SUFFIX[part.kind]}`;
}

/**
 * The ledger entries of one usage record: one per priced part (input, cached input, output; one `request`
 * entry for other model types). Amounts are debits, so negative; units are millions of tokens
 * (227 tokens → 0.000227). A record that charged nothing (free model, released reservation) is no debit
 * and has no entries.
 */
export function entriesOf(record: UsageRecord, pricing: TextPricing | undefined): UsageEntry[] {
  if (record.amount === 0) return [];
  const isText = record.modelType === 'text';
  const isTokens = isText || record.modelType === 'embedding';
  const inferenceDetails = {
    completionTokens: isText ? record.completionTokens : null,
    inferenceExecutionTime: record.executionMs,
    promptTokens: isTokens ? record.promptTokens : null,
    requestId: record.requestId,
  };
  return splitUsage(record, pricing).map((part) => ({
    amount: part.amount === 0 ? 0 : -fromNanos(part.amount),
    currency: record.currency,
    inferenceDetails,
    notes: 'API Inference',
    pricePerUnitUsd: part.pricePerUnitUsd,
    sku: skuOf(record, part),
    timestamp: record.createdAt,
    units: part.kind === 'unit' ? part.quantity : part.quantity / 1_000_000,
  }));
}
