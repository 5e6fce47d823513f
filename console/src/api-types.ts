// The wire shapes the console reads: Venice's (swagger.yaml) and Rialto's /admin routes (src/routes/admin).

export type Limits = { usd: number | null; diem: number | null; vcu: number | null };
export type LimitPeriod = 'EPOCH' | 'MONTH' | 'LIFETIME';

export interface ApiKey {
  id: string;
  apiKeyType: 'ADMIN' | 'INFERENCE';
  description: string;
  consumptionLimits: Limits;
  limitPeriod: LimitPeriod;
  modelPrivacy: string;
  createdAt: string;
  expiresAt: string | null;
  last6Chars: string;
  lastUsedAt: string | null;
  usage: { trailingSevenDays: { usd: string; diem: string } };
  currentPeriodUsage?: { usd: string; diem: string };
}

export interface CreatedKey {
  apiKey: string;
  id: string;
  apiKeyType: string;
  description: string;
}

export interface Balance {
  canConsume: boolean;
  consumptionCurrency: 'USD' | 'DIEM' | null;
  balances: { usd: number; diem: number };
  diemEpochAllocation: number;
}

export interface Account {
  id: string;
  name: string;
  balances: { usd: number; diem: number };
  reserved: { usd: number; diem: number };
  diemEpochAllocation: number;
  activeKeys: number;
  createdAt: string;
}

export interface UsageRow {
  date: string;
  apiKeyId: string | null;
  modelId: string;
  modelType: string;
  requests: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  usd: number;
  diem: number;
}

export interface UsageSeries {
  lookback: string;
  dates: string[];
  keys: { id: string; description: string; apiKeyType: string; last6: string; revoked: boolean }[];
  data: UsageRow[];
}

export interface UsageAnalytics {
  byModel: {
    modelName: string;
    unitType: string;
    modelType: string | null;
    totalUsd: number;
    totalDiem: number;
    totalUnits: number;
    breakdown?: { type: string; usd: number; diem: number; units: number }[];
  }[];
}

export interface Breach {
  apiKeyId: string;
  keyDescription: string | null;
  accountId: string | null;
  modelId: string;
  rateLimitTier: string;
  rateLimitType: string;
  timestamp: string;
}

export interface RateLimitStatus {
  accessPermitted: boolean;
  apiTier: { id: string; isCharged: boolean };
  balances: { USD: number; DIEM: number };
  keyExpiration: string | null;
  nextEpochBegins: string;
  rateLimits: { apiModelId: string; rateLimits: { amount: number; type: string }[] }[];
}

export type Price = { usd: number; diem: number };

export interface Model {
  id: string;
  type: string;
  context_length?: number;
  model_spec: {
    name: string;
    description?: string;
    privacy?: string;
    traits?: string[];
    /** The engine cannot serve right now (its live health). */
    offline?: boolean;
    pricing?: Record<string, unknown>;
    availableContextTokens?: number;
    capabilities?: Record<string, unknown>;
    voices?: string[];
    supported_formats?: string[];
    default_format?: string;
    constraints?: Record<string, unknown>;
    deprecation?: { date?: string };
  };
}

export interface EngineHealth {
  modelId: string;
  type: string;
  engine: string;
  healthy: boolean;
  detail: string;
  latencyMs: number;
}

export type JobState = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'DELETED';

export interface Job {
  id: string;
  kind: 'video' | 'music';
  modelId: string;
  accountId: string;
  apiKeyId: string;
  state: JobState;
  progress: number | null;
  prompt: string | null;
  quote: number;
  refunded: boolean;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  resultContentType: string | null;
  resultBytes: number | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface Character {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  author: string;
  adult: boolean;
  featured: boolean;
  webEnabled: boolean;
  modelId: string;
  tags: string[];
  photoUrl: string | null;
  createdAt: string;
  stats: { averageRating: number; imports: number; ratingCount: number };
}

export interface List<T> {
  data: T[];
}

/** GET /admin/wallets: an x402 wallet; every amount in integer nano-USD (format with usdNanos). */
export interface Wallet {
  address: string;
  network: 'eip155' | 'solana';
  balanceNanos: number;
  reservedNanos: number;
  toppedUpNanos: number;
  chargedNanos: number;
  refundedNanos: number;
  entries: number;
  createdAt: string;
  lastActivityAt: string;
}

export interface WalletList {
  total: number;
  data: Wallet[];
}

export type WalletEntryType = 'TOP_UP' | 'CHARGE' | 'REFUND';

export interface WalletEntry {
  id: string;
  type: WalletEntryType;
  /** Signed: CHARGE negative. */
  amountNanos: number;
  balanceAfterNanos: number;
  requestId: string | null;
  modelId: string | null;
  network: string | null;
  transaction: string | null;
  createdAt: string;
}

/** GET /admin/wallets/{address}/entries: one wallet's ledger, newest first. */
export interface WalletLedger {
  address: string;
  network: 'eip155' | 'solana';
  balanceNanos: number;
  reservedNanos: number;
  hasMore: boolean;
  data: WalletEntry[];
}
