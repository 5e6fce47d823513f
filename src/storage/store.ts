/**
 * The store: everything Rialto persists. One interface, one Kysely query path (kysely-store.ts),
 * one dialect per database (sqlite-store.ts, postgres-store.ts; open-store.ts picks one from the config).
 */
export interface Store {
  readonly apiKeys: ApiKeyRepository;
  readonly accounts: AccountRepository;
  readonly ledger: LedgerRepository;
  readonly usage: UsageRepository;
  readonly jobs: JobRepository;
  /** Closes connections; pending calls fail afterwards. */
  close(): Promise<void>;
}

export type ApiKeyType = 'ADMIN' | 'INFERENCE';

export type LimitPeriod = 'EPOCH' | 'MONTH' | 'LIFETIME';
export type ModelPrivacy = 'ALL' | 'PRIVATE_TEXT' | 'PRIVATE_ONLY';

/** swagger: the consumption limits of a key, per currency (vcu is legacy DIEM); null = no limit. */
export type ConsumptionLimits = { usd: Nanos | null; diem: Nanos | null; vcu: Nanos | null };

export interface ApiKeyRecord {
  id: string;
  secretHash: string;
  last6: string;
  apiKeyType: ApiKeyType;
  description: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  accountId: string;
  consumptionLimits: ConsumptionLimits;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
}

/** Key fields an admin may change (PATCH /api_keys). */
export interface ApiKeyPatch {
  description?: string;
  expiresAt?: string | null;
  consumptionLimits?: ConsumptionLimits;
  limitPeriod?: LimitPeriod;
  modelPrivacy?: ModelPrivacy;
}

export interface ApiKeyRepository {
  /** Inserts a new key; fails if the id exists. */
  insert(record: Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt' | 'createdAt' | 'accountId' | 'consumptionLimits' | 'limitPeriod' | 'modelPrivacy'>
    & { createdAt?: string } & Partial<Pick<ApiKeyRecord, 'accountId' | 'consumptionLimits' | 'limitPeriod' | 'modelPrivacy'>>): Promise<void>;
  /** Applies a patch to a key that is not revoked; the updated record, or undefined when there is none. */
  update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
  /** The key with this id, revoked or not; undefined when unknown. */
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  /** Keys not revoked, oldest first; of one account when given. */
  listActive(accountId?: string): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when it was unknown or already revoked. */
  revoke(id: string, at: string): Promise<boolean>;
  /** Records use, at most once a minute per key (callers may call it on every request). */
  touch(id: string, at: string): Promise<void>;
}

/** Money in the store: integer nano-units (1e-9 USD or DIEM). */
export type Nanos = number;
export type Currency = 'USD' | 'DIEM';

export interface AccountRecord {
  id: string;
  name: string;
  usdBalance: Nanos;
  usdReserved: Nanos;
  diemBalance: Nanos;
  diemReserved: Nanos;
  diemEpochAllocation: Nanos;
  createdAt: string;
}

export interface AccountRepository {
  /** The account, created empty if it does not exist (concurrent callers all get the one row). */
  ensure(id: string, name: string, at: string): Promise<AccountRecord>;
  find(id: string): Promise<AccountRecord | undefined>;
  /** Adds `amount` (may be negative, not below what is reserved) to a balance, atomically; the new record. */
  credit(id: string, currency: Currency, amount: Nanos): Promise<AccountRecord>;
}

export interface ReserveRequest {
  reservationId: string;
  accountId: string;
  keyId: string;
  /** The key's current limit period ('2026-11-25' for EPOCH, '2026-11' for MONTH, 'LIFETIME'). */
  period: string;
  /** The key's spend limits for the period; null means no limit in that currency. */
  keyLimits: Record<Currency, Nanos | null>;
  /** The worst-case cost, the same figure in either currency (Venice prices both alike). */
  amount: Nanos;
  requestId: string;
  modelId: string;
  createdAt: string;
  /** An open reservation past this time is released by `releaseExpired` (the process serving it died). */
  leaseUntil: string;
}

export type ReserveOutcome =
  | { reserved: true; currency: Currency }
  | { reserved: false; reason: 'INSUFFICIENT_BALANCE' | 'API_KEY_USD_SPEND_LIMIT_EXCEEDED' | 'API_KEY_DIEM_SPEND_LIMIT_EXCEEDED' };

export interface UsageInput {
  modelType: string;
  /** What was actually used, priced in the reservation's currency; the charge never exceeds the reservation. */
  amount: Nanos;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  status: string;
  executionMs: number;
  createdAt: string;
}

export interface UsageRecord extends Omit<UsageInput, 'createdAt'> {
  id: string;
  requestId: string;
  accountId: string;
  keyId: string | null;
  modelId: string;
  currency: Currency;
  createdAt: string;
}

export interface KeySpend {
  usdSpent: Nanos;
  usdReserved: Nanos;
  diemSpent: Nanos;
  diemReserved: Nanos;
}

/**
 * Reservations against account balances and key spend limits. Every method is one atomic transaction
 * built from conditional updates (`… WHERE balance - reserved >= amount`), never a read then a write, so
 * concurrent requests on any number of processes can never overspend a balance or a key's limit.
 */
export interface LedgerRepository {
  /**
   * Reserves the worst-case cost from DIEM when both the account's DIEM and the key's DIEM limit cover it,
   * else from USD likewise (docs/overview/pricing.mdx: DIEM is spent first). When neither can, says why:
   * a key limit that blocked a currency the balance covered, else INSUFFICIENT_BALANCE.
   */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** Charges min(actual, reserved), frees the rest and writes the usage record; false if not open (settled once). */
  settle(reservationId: string, usage: UsageInput): Promise<boolean>;
  /** Frees an open reservation without charge and records it with `status`; false if it was not open. */
  release(reservationId: string, status: string, at: string): Promise<boolean>;
  /** Where a reservation stands (open, settled = charged, released = given back); undefined when unknown. */
  stateOf(reservationId: string): Promise<'open' | 'settled' | 'released' | undefined>;
  /** Moves an open reservation's lease (long streams call this while they run). */
  renew(reservationId: string, leaseUntil: string): Promise<void>;
  /** Releases every open reservation whose lease ended before `now`; how many. */
  releaseExpired(now: string): Promise<number>;
  /** A key's spend in a period (zeros when it has none). */
  keySpend(keyId: string, period: string): Promise<KeySpend>;
}

export interface UsageRepository {
  /** Writes the record of a request that reserved nothing (free models, failures before reserving). */
  insert(record: UsageRecord): Promise<void>;
  /** Records of an account in ascending (createdAt, id) order, after the cursor position if given. */
  list(query: { accountId: string; currency?: Currency; from?: string; to?: string; after?: { createdAt: string; id: string }; limit: number }): Promise<UsageRecord[]>;
  /** Sum of amounts per currency for a key since `from` (trailing usage figures). */
  keyTotals(keyId: string, from: string): Promise<Record<Currency, Nanos>>;
}

export type JobKind = 'video' | 'music';
/** QUEUED until a worker submits it to its engine; PROCESSING while the engine works; then COMPLETED or FAILED; DELETED once cleaned up. */
export type JobState = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'DELETED';

/** An async generation job (video, music): the durable record every worker reads and writes. */
export interface JobRecord {
  /** The queue_id clients see (a UUID). */
  id: string;
  kind: JobKind;
  modelId: string;
  accountId: string;
  keyId: string;
  /** The validated request body. */
  request: Record<string, unknown>;
  state: JobState;
  /** 0..1 where the engine says. */
  progress: number | null;
  /** The engine's own id for the job, once submitted (a restarted worker resumes polling it). */
  engineJobId: string | null;
  /** Where the result lies in media storage, its type and size. */
  resultKey: string | null;
  resultContentType: string | null;
  resultBytes: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Whether a failed job's reservation was given back. */
  refunded: boolean;
  /** How many times a worker has started on it. */
  attempts: number;
  /** The ledger reservation holding the quote (null for free models). */
  reservationId: string | null;
  /** The quoted price (nanos), reserved at queue time and charged on success. */
  quote: Nanos;
  /** Delete the media once it has been delivered (retrieve's delete_media_on_completion). */
  deleteOnDelivery: boolean;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  updatedAt: string;
  /** Past this time the job fails (and is refunded). */
  deadlineAt: string;
  /** When a worker should look at it next. */
  nextRunAt: string;
  claimedBy: string | null;
  claimUntil: string | null;
  /** sha256 (hex) of the token of the job's download link, for models that deliver by download_url; else null. */
  downloadTokenHash: string | null;
  /** When the download link was revoked (DELETE on it); it then answers 410. */
  downloadRevokedAt: string | null;
}

export type JobPatch = Partial<Pick<JobRecord, 'state' | 'progress' | 'engineJobId' | 'resultKey' | 'resultContentType' | 'resultBytes' | 'errorCode'
  | 'errorMessage' | 'refunded' | 'attempts' | 'deleteOnDelivery' | 'startedAt' | 'completedAt' | 'nextRunAt' | 'claimedBy' | 'claimUntil' | 'downloadRevokedAt'>>;

export interface JobRepository {
  insert(record: Omit<JobRecord, 'updatedAt'>): Promise<void>;
  find(id: string): Promise<JobRecord | undefined>;
  /** The job whose download token hashes to `tokenHash` (sha256, hex). */
  findByDownloadToken(tokenHash: string): Promise<JobRecord | undefined>;
  /**
   * Applies a patch, only while the job is in one of `states` (when given) and, when `claimedBy` is
   * given, only while that worker holds it; whether it applied. Every state change goes through here,
   * so two workers can never both move a job.
   */
  update(id: string, patch: JobPatch, condition?: { states?: JobState[]; claimedBy?: string }): Promise<boolean>;
  /**
   * Claims one runnable job (QUEUED or PROCESSING, due by `now`, unclaimed or whose claim ran out) for
   * `worker` until `claimUntil`, atomically: each job is held by one worker at a time. With `id`, only that job.
   */
  claim(worker: string, now: string, claimUntil: string, id?: string): Promise<JobRecord | undefined>;
  /** Up to `limit` runnable jobs (QUEUED or PROCESSING), next due first: what a queue re-dispatches after a restart. */
  runnable(limit: number): Promise<JobRecord[]>;
  /** Counts by state (for health and the console). */
  countByState(): Promise<Partial<Record<JobState, number>>>;
}
