import type { VoiceRepository } from './voice-store.ts';
import type { WalletRepository } from './wallet-store.ts';

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
  readonly characters: CharacterRepository;
  /** The x402 wallet ledger (wallet-store.ts). */
  readonly wallets: WalletRepository;
  /** Cloned voices of POST /audio/voices (voice-store.ts). */
  readonly voices: VoiceRepository;
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
  insert(
    record: Omit<
      ApiKeyRecord,
      | 'revokedAt'
      | 'lastUsedAt'
      | 'createdAt'
      | 'accountId'
      | 'consumptionLimits'
      | 'limitPeriod'
      | 'modelPrivacy'
    > & { createdAt?: string } & Partial<
        Pick<ApiKeyRecord, 'accountId' | 'consumptionLimits' | 'limitPeriod' | 'modelPrivacy'>
      >,
  ): Promise<void>;
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

/**
 * The most any money column may come to hold: past Number.MAX_SAFE_INTEGER a JS number no longer counts nanos
 * exactly (about 9 million USD or DIEM). A credit that would take a balance past it is refused.
 */
export const MAX_NANOS = Number.MAX_SAFE_INTEGER;

/** Why AccountRepository.credit changed nothing: no such account, a debit into reserved money, or past MAX_NANOS. */
export class CreditRefusedError extends Error {
  constructor(
    readonly reason: 'unknown-account' | 'below-reserved' | 'over-maximum',
    message: string,
  ) {
    super(message);
    this.name = 'CreditRefusedError';
  }
}
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
  /** Every account, oldest first (ties by id): the operator's listing; deployments hold few accounts. */
  list(): Promise<AccountRecord[]>;
  /**
   * Adds `amount` (an integer; may be negative, not below what is reserved) to a balance, atomically; the new record.
   * The limits are checked in the one conditional update that writes, so concurrent credits cannot pass them
   * together. Rejects with CreditRefusedError when it changes nothing: unknown account, a debit into what is
   * reserved, or a credit past MAX_NANOS (a debit is always allowed down to what is reserved).
   */
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
  | {
      reserved: false;
      reason:
        | 'INSUFFICIENT_BALANCE'
        | 'API_KEY_USD_SPEND_LIMIT_EXCEEDED'
        | 'API_KEY_DIEM_SPEND_LIMIT_EXCEEDED';
    };

/**
 * A budget lease wanted for a request (Meter's LeaseBook): `amount` is the request's worst case, decided exactly as
 * `reserve` would decide it; `size` the lease wanted, `minimum` the least worth holding (else `fallback`).
 */
export interface LeaseRequest extends ReserveRequest {
  size: Nanos;
  minimum: Nanos;
}

/** A lease granted (its currency and amount), the request's refusal as `reserve` would give it, or `fallback`. */
export type LeaseOutcome =
  | { reserved: true; currency: Currency; amount: Nanos }
  | {
      reserved: false;
      reason: Extract<ReserveOutcome, { reserved: false }>['reason'] | 'fallback';
    };

/** One request served from a lease, charged by `chargeLease`: its usage record's id, request and model. */
export interface LeaseCharge {
  id: string;
  requestId: string;
  modelId: string;
  /** `amount`: the charge, in the lease's currency. */
  usage: UsageInput;
}

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

/** The usage of a request released without charge (the server failed, its process died): recorded with `status`. */
export const releasedUsage = (status: string, at: string): UsageInput => ({
  modelType: 'unknown',
  amount: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  status,
  executionMs: 0,
  createdAt: at,
});

export interface UsageRecord extends Omit<UsageInput, 'createdAt'> {
  id: string;
  requestId: string;
  accountId: string;
  keyId: string | null;
  modelId: string;
  currency: Currency;
  createdAt: string;
}

/** One write of a group commit: close a reservation (settle = charge, release = free), or record a free request. */
export type LedgerEntry =
  | { kind: 'close'; reservationId: string; state: 'settled' | 'released'; usage: UsageInput }
  | { kind: 'record'; record: UsageRecord };

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
/** A batch for `LedgerRepository.commitMany`. */
export interface LedgerBatch {
  closes: LedgerEntry[];
  reserves: ReserveRequest[];
}

/** What `commitMany` answers: per closing, whether it applied; per reservation, its outcome; in batch order. */
export interface LedgerBatchResult {
  closed: boolean[];
  reserved: ReserveOutcome[];
}

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
  /** Moves open reservations' leases (the process serving them renews them all while they run), a few statements. */
  renew(reservationIds: readonly string[], leaseUntil: string): Promise<void>;
  /**
   * Group commit: `reserve` for many requests in one transaction, each decided in order exactly as `reserve` alone
   * would (the first ones see the balance before the later ones), so a batch never grants more than the store holds.
   */
  reserveMany(requests: ReserveRequest[]): Promise<ReserveOutcome[]>;
  /**
   * Group commit: settles or releases many reservations and writes free requests' usage records in one
   * transaction; per entry, whether it applied (false for a reservation not open, as settle and release).
   */
  closeMany(entries: LedgerEntry[]): Promise<boolean[]>;
  /**
   * Group commit of a loop turn's ledger work in one transaction (one commit instead of two): `closeMany` of
   * `closes`, then `reserveMany` of `reserves`, each answering as it would alone; the reservations see the money the
   * closings freed. Fails as a whole (nothing of it written) where either would.
   */
  commitMany(batch: LedgerBatch): Promise<LedgerBatchResult>;
  /**
   * Grants a budget lease (issue #17 item 5): a reservation of kind 'lease' that one instance spends from in memory,
   * in the currency `reserve` of the request's worst case would take, of `size` or half of what the balance and the
   * key's limit leave where that is less, or none under `minimum`. Renewed, released by expiry and by `release` like any.
   */
  acquireLease(request: LeaseRequest): Promise<LeaseOutcome>;
  /**
   * Charges requests served from an open lease in one transaction: the lease shrinks by their total, the balance and
   * the key's period spend take it, each gets its usage record; `close` frees the rest and closes the lease. False,
   * writing nothing, when the lease is not open or holds less than the total.
   */
  chargeLease(leaseId: string, charges: readonly LeaseCharge[], close: boolean): Promise<boolean>;
  /** Releases every open reservation whose lease ended before `now`; how many. */
  releaseExpired(now: string): Promise<number>;
  /** A key's spend in a period (zeros when it has none). */
  keySpend(keyId: string, period: string): Promise<KeySpend>;
}

export interface UsageRepository {
  /** Writes the record of a request that reserved nothing (free models, failures before reserving). */
  insert(record: UsageRecord): Promise<void>;
  /** Records of an account in ascending (createdAt, id) order, after the cursor position if given. */
  list(query: {
    accountId: string;
    currency?: Currency;
    from?: string;
    to?: string;
    after?: { createdAt: string; id: string };
    limit: number;
  }): Promise<UsageRecord[]>;
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
  /** The validated request body; emptied (`{}`) once the job has failed or been deleted: nothing runs it any more. */
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
  /**
   * Which ledger holds the quote: 'account' (store.ledger, a key's account) or 'wallet' (store.wallets: a
   * SIGN-IN-WITH-X wallet, whose id is then `accountId`). Omitted on insert: 'account'.
   */
  ledger?: JobLedger;
}

export type JobLedger = 'account' | 'wallet';

export type JobPatch = Partial<
  Pick<
    JobRecord,
    | 'request'
    | 'state'
    | 'progress'
    | 'engineJobId'
    | 'resultKey'
    | 'resultContentType'
    | 'resultBytes'
    | 'errorCode'
    | 'errorMessage'
    | 'refunded'
    | 'attempts'
    | 'deleteOnDelivery'
    | 'startedAt'
    | 'completedAt'
    | 'nextRunAt'
    | 'claimedBy'
    | 'claimUntil'
    | 'downloadRevokedAt'
  >
>;

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
  update(
    id: string,
    patch: JobPatch,
    condition?: { states?: JobState[]; claimedBy?: string },
  ): Promise<boolean>;
  /**
   * Claims one runnable job (QUEUED or PROCESSING, due by `now`, unclaimed or whose claim ran out) for
   * `worker` until `claimUntil`, atomically: each job is held by one worker at a time. With `id`, only that job.
   */
  claim(
    worker: string,
    now: string,
    claimUntil: string,
    id?: string,
  ): Promise<JobRecord | undefined>;
  /** Up to `limit` runnable jobs (QUEUED or PROCESSING), next due first: what a queue re-dispatches after a restart. */
  runnable(limit: number): Promise<JobRecord[]>;
  /** Counts by state (for health and the console). */
  countByState(): Promise<Partial<Record<JobState, number>>>;
  /** Up to `limit` jobs, newest first (ties by id, descending), of one state when given: the console's listing. */
  recent(query: { limit: number; state?: JobState }): Promise<JobRecord[]>;
}

/** A character (INVENTORY §8.1) as stored: the spec's fields, the persona no endpoint shows, and discovery flags. */
export interface CharacterRecord {
  id: string;
  /** Unique; what venice_parameters.character_slug names. */
  slug: string;
  name: string;
  description: string | null;
  author: string;
  adult: boolean;
  featured: boolean;
  webEnabled: boolean;
  /** Uses a "pro" model (GET /characters isPro): Rialto has no Pro tier, so the operator says. */
  pro: boolean;
  /** Listed, readable and usable in chat by every key; a private one only through the CLI and the admin API. */
  public: boolean;
  modelId: string;
  /** In the operator's order. */
  tags: string[];
  /** What GET /characters `categories` filters on; not part of the Character object. */
  categories: string[];
  shareUrl: string | null;
  photoUrl: string | null;
  /** The persona, sent to the model as a system prompt; never exposed by the API. */
  systemPrompt: string;
  imports: number;
  /** Ratings counted into the stats: set by the operator, then moved by every review added or deleted. */
  ratingCount: number;
  ratingSum: number;
  createdAt: string;
  updatedAt: string;
}

type CharacterFields = Omit<CharacterRecord, 'id' | 'slug' | 'createdAt' | 'updatedAt'>;
/** Fields an update changes (undefined ones stay as they are); tags and categories are replaced whole. */
export type CharacterPatch = {
  [Field in keyof CharacterFields]?: CharacterFields[Field] | undefined;
};

/** swagger: listCharacters `sortBy`. */
export type CharacterSort =
  | 'featured'
  | 'highestRating'
  | 'highlyRated'
  | 'highlyRatedAndRecent'
  | 'imports'
  | 'mostRecent'
  | 'ratingCount';

/** A page of GET /characters; every filter given must hold. */
export interface CharacterQuery {
  /** Leave out characters that are not public. */
  publicOnly: boolean;
  /** Any of these categories / tags / model ids (tags and categories compared case-insensitively). */
  categories?: string[];
  tags?: string[];
  modelIds?: string[];
  adult?: boolean;
  pro?: boolean;
  webEnabled?: boolean;
  /** Occurs (case-insensitively) in the name, the description or a tag. */
  text?: string;
  /** Tags every result carries, case-insensitively (the search's #hashtags). */
  hashtags?: string[];
  sortBy: CharacterSort;
  sortOrder: 'asc' | 'desc';
  /** highlyRatedAndRecent: characters created at or after this come first. */
  recentSince: string;
  offset: number;
  limit: number;
}

/** swagger: getCharacterReviews item, plus the account that wrote it (null for imported reviews). */
export interface CharacterReviewRecord {
  id: string;
  characterId: string;
  accountId: string | null;
  username: string;
  /** 1..5 */
  rating: number;
  message: string | null;
  locale: string | null;
  userAvatarUrl: string | null;
  createdAt: string;
}

/** Characters and their reviews. A review and the rating counters it moves are written in one transaction. */
export interface CharacterRepository {
  /** Inserts a character with its tags and categories; false, writing nothing, when its slug or id is taken. */
  insert(record: CharacterRecord): Promise<boolean>;
  /** Applies a patch and sets updatedAt to `at`; the updated record, or undefined when the slug is unknown. */
  update(slug: string, patch: CharacterPatch, at: string): Promise<CharacterRecord | undefined>;
  /** Deletes a character with its labels and reviews; false when the slug is unknown. */
  delete(slug: string): Promise<boolean>;
  /** The character with this slug, public or not. */
  findBySlug(slug: string): Promise<CharacterRecord | undefined>;
  /** A page of the characters matching the query, in its order; ties go by slug, ascending. */
  list(query: CharacterQuery): Promise<CharacterRecord[]>;
  /** Adds a review and counts its rating into the character's stats; false when the character is unknown or the id taken. */
  addReview(review: CharacterReviewRecord): Promise<boolean>;
  /** Deletes a review of a character and takes its rating out of the stats; false when there is no such review. */
  deleteReview(characterId: string, reviewId: string): Promise<boolean>;
  /** A page of a character's reviews, newest first (ties by id), and how many it has in all. */
  listReviews(
    characterId: string,
    page: { offset: number; limit: number },
  ): Promise<{ reviews: CharacterReviewRecord[]; total: number }>;
  /** character id → the rating of the latest review `accountId` wrote of it, for those of `characterIds` it reviewed. */
  ratingsBy(accountId: string, characterIds: string[]): Promise<Map<string, number>>;
}
