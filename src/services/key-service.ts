import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VeniceError } from '../errors/venice-error.ts';
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  ApiKeyType,
  ConsumptionLimits,
  Currency,
  KeySpend,
  Nanos,
  Store,
} from '../storage/store.ts';
import { periodOf } from './billing/limit-period.ts';
import type { KeyChangeFeed } from './key-change-feed.ts';

// A key reads `rk-<16 hex id>-<43 char base64url secret>`: the id finds the row, the secret is checked
// against its sha256 in constant time, so neither a timing nor a database leak reveals a usable key.
const KEY_PATTERN = /^rk-([0-9a-f]{16})-([A-Za-z0-9_-]{43})$/;

// crypto.hash: one call, no Hash object (7.4 → 2.9 µs a key on the bench machine).
function hashSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

export interface CreatedKey {
  /** The full key; shown once, never stored. */
  apiKey: string;
  record: ApiKeyRecord;
}

/**
 * How long a key record read from the store is trusted, unless configured (keyCacheMs). With a KeyChangeFeed
 * (`share`) a revocation or update made on another replica drops the record within milliseconds; without one, or
 * while the feed is down, it takes effect there within this (a stale record was read before the change committed).
 */
export const DEFAULT_RECORD_CACHE_MS = 500;
const RECORD_CACHE_SIZE = 10_000;
/** swagger: createApiKey, "a maximum of 500 active API keys per user". */
export const MAX_ACTIVE_KEYS_PER_ACCOUNT = 500;
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

/** A key's spend, in nano-units, as GET /api_keys reports it. */
export interface KeyUsage {
  /** Settled spend per currency over the last seven days (swagger: usage.trailingSevenDays). */
  trailingSevenDays: Record<Currency, Nanos>;
  /** Spend in the key's current limit period; undefined when the key has no limit (swagger: currentPeriodUsage). */
  currentPeriod: KeySpend | undefined;
}

/** PATCH /api_keys: limits given per currency replace only those currencies (null removes one). */
export type KeyUpdate = Omit<ApiKeyPatch, 'consumptionLimits'> & {
  consumptionLimits?: Partial<ConsumptionLimits>;
};

export class KeyService {
  /** When each key's last use was last written; the store needs it at most once a minute. */
  private readonly touched = new Map<string, number>();
  /** Recently read key records by id (the secret is still checked against the hash on every request). */
  private readonly records = new Map<string, { record: ApiKeyRecord; readAt: number }>();
  /** Counts drops; a read that a drop overtook is not cached (it may predate the change that caused the drop). */
  private drops = 0;
  private feed: KeyChangeFeed | undefined;

  private readonly now: () => Date;
  private readonly recordCacheMs: number;

  /** `now` is the clock (tests freeze it); `recordCacheMs` how long a record read from the store is trusted. */
  constructor(
    private readonly store: Store,
    options: { now?: () => Date; recordCacheMs?: number } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.recordCacheMs = options.recordCacheMs ?? DEFAULT_RECORD_CACHE_MS;
  }

  /** What `usage` runs first: the Meter's sync, once it exists, so charges budget leases hold are written. */
  private beforeUsageRead: () => Promise<void> = async () => undefined;

  /** Makes `usage` read after `sync` (Meter.sync: budget leases' charges written). */
  readUsageAfter(sync: () => Promise<void>): void {
    this.beforeUsageRead = sync;
  }

  async create(
    input: { apiKeyType: ApiKeyType; description: string; expiresAt?: string | null } & Partial<
      Pick<ApiKeyRecord, 'accountId' | 'consumptionLimits' | 'limitPeriod' | 'modelPrivacy'>
    >,
  ): Promise<CreatedKey> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const apiKey = `rk-${id}-${secret}`;
    const { apiKeyType, description, expiresAt, ...options } = input;
    const accountId = options.accountId ?? 'default';
    await this.store.accounts.ensure(accountId, accountId, this.now().toISOString());
    await this.store.apiKeys.insert({
      accountId,
      ...options,
      id,
      secretHash: hashSecret(secret).toString('hex'),
      last6: apiKey.slice(-6),
      apiKeyType,
      description,
      expiresAt: expiresAt ?? null,
      createdAt: this.now().toISOString(),
    });
    const record = await this.store.apiKeys.findById(id);
    if (record === undefined) throw new Error(`key ${id} vanished after insert`);
    return { apiKey, record };
  }

  /**
   * Stores a key made outside (RIALTO_ADMIN_KEY, as LiteLLM's master key) like any other: its id and the sha256
   * of its secret. Nothing changes when it is stored already. Throws when the text is not a key, or when its id
   * belongs to another key.
   */
  async adopt(
    apiKey: string,
    input: { apiKeyType: ApiKeyType; description: string },
  ): Promise<ApiKeyRecord> {
    const match = KEY_PATTERN.exec(apiKey);
    if (match === null)
      throw new Error('not a Rialto key (rk-<16 hex digits>-<43 base64url characters>)');
    const [, id, secret] = match as unknown as [string, string, string];
    const secretHash = hashSecret(secret).toString('hex');
    const existing = await this.store.apiKeys.findById(id);
    if (existing !== undefined) {
      if (existing.secretHash !== secretHash)
        throw new Error(`its id ${id} belongs to another key`);
      return existing;
    }
    await this.store.accounts.ensure('default', 'default', this.now().toISOString());
    await this.store.apiKeys.insert({
      accountId: 'default',
      id,
      secretHash,
      last6: apiKey.slice(-6),
      apiKeyType: input.apiKeyType,
      description: input.description,
      expiresAt: null,
      createdAt: this.now().toISOString(),
    });
    const record = await this.store.apiKeys.findById(id);
    if (record === undefined) throw new Error(`key ${id} vanished after insert`);
    return record;
  }

  /**
   * The key record for an `Authorization: Bearer` value; throws 401 AUTHENTICATION_FAILED for anything
   * malformed, unknown, revoked or expired (one answer for all, so callers learn nothing about which).
   */
  async authenticate(presented: string): Promise<ApiKeyRecord> {
    const match = KEY_PATTERN.exec(presented);
    const now = this.now();
    const record =
      match?.[1] === undefined ? undefined : await this.findRecord(match[1], now.getTime());
    const expected = record === undefined ? hashSecret('') : Buffer.from(record.secretHash, 'hex');
    const matches = timingSafeEqual(hashSecret(match?.[2] ?? ''), expected);
    if (
      record === undefined ||
      !matches ||
      record.revokedAt !== null ||
      (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())
    ) {
      throw new VeniceError('AUTHENTICATION_FAILED');
    }
    if ((this.touched.get(record.id) ?? 0) <= now.getTime() - 60_000) {
      // Bounded like the records (keys come and go: a long-running process meets many); a clear costs a few writes.
      if (this.touched.size >= RECORD_CACHE_SIZE) this.touched.clear();
      this.touched.set(record.id, now.getTime());
      void this.store.apiKeys.touch(record.id, now.toISOString()).catch(() => undefined);
    }
    return record;
  }

  /**
   * Announces this service's revocations and updates through `feed` and drops cached records when any replica
   * announces one; resolves once subscribed (see KeyChangeFeed.subscribe). Call once, before serving.
   */
  async share(feed: KeyChangeFeed): Promise<void> {
    this.feed = feed;
    await feed.subscribe((id) => this.forget(id));
  }

  /** Drops the cached record of key `id`, or every cached record; the next request reads the store. */
  forget(id?: string): void {
    this.drops += 1;
    if (id === undefined) this.records.clear();
    else this.records.delete(id);
    for (const listener of this.changeListeners) listener(id);
  }

  private readonly changeListeners: ((id: string | undefined) => void)[] = [];

  /**
   * Calls `listener` when key `id` (undefined: any key) changed here or on another replica (its record dropped):
   * the Meter gives back the budget leases granted under the key's old limits.
   */
  onChange(listener: (id: string | undefined) => void): void {
    this.changeListeners.push(listener);
  }

  private async findRecord(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    const cached = this.records.get(id);
    if (cached !== undefined && now - cached.readAt < this.recordCacheMs) return cached.record;
    const drops = this.drops;
    const record = await this.store.apiKeys.findById(id);
    if (record === undefined || drops !== this.drops) return record;
    if (this.records.size >= RECORD_CACHE_SIZE) this.records.clear();
    this.records.set(id, { record, readAt: now });
    return record;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.listActive();
  }

  /**
   * Creates a key in `input.accountId`; 429 RATE_LIMIT_EXCEEDED when the account already has
   * MAX_ACTIVE_KEYS_PER_ACCOUNT active keys. Check then insert: concurrent creates may overshoot by their number.
   */
  async createInAccount(
    input: Parameters<KeyService['create']>[0] & { accountId: string },
  ): Promise<CreatedKey> {
    const active = await this.store.apiKeys.listActive(input.accountId);
    if (active.length >= MAX_ACTIVE_KEYS_PER_ACCOUNT) {
      throw new VeniceError('RATE_LIMIT_EXCEEDED', {
        message: `An account may have at most ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active API keys; delete one first`,
      });
    }
    return this.create(input);
  }

  /** Active keys of one account, oldest first. */
  listInAccount(accountId: string): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.listActive(accountId);
  }

  /** The active key `id` of `accountId`; undefined when unknown, revoked or another account's (one answer for all). */
  async get(id: string, accountId: string): Promise<ApiKeyRecord | undefined> {
    const record = await this.store.apiKeys.findById(id);
    return record === undefined || record.revokedAt !== null || record.accountId !== accountId
      ? undefined
      : record;
  }

  /** Updates an active key of `accountId` (undefined when `get` finds none); the new expiry and limits apply at once. */
  async update(
    id: string,
    accountId: string,
    update: KeyUpdate,
  ): Promise<ApiKeyRecord | undefined> {
    const record = await this.get(id, accountId);
    if (record === undefined) return undefined;
    const { consumptionLimits, ...rest } = update;
    const patch: ApiKeyPatch =
      consumptionLimits === undefined
        ? rest
        : { ...rest, consumptionLimits: { ...record.consumptionLimits, ...consumptionLimits } };
    const updated = await this.store.apiKeys.update(id, patch);
    this.forget(id);
    await this.feed?.publish(id);
    return updated;
  }

  /** Revokes an active key of `accountId`; false when `get` finds none. */
  async revokeInAccount(id: string, accountId: string): Promise<boolean> {
    return (await this.get(id, accountId)) !== undefined && this.revoke(id);
  }

  /** What a key spent over the last seven days, and in its current limit period when it has a limit. */
  async usage(record: ApiKeyRecord): Promise<KeyUsage> {
    const now = this.now();
    const limited = Object.values(record.consumptionLimits).some((limit) => limit !== null);
    await this.beforeUsageRead();
    const [trailingSevenDays, currentPeriod] = await Promise.all([
      this.store.usage.keyTotals(record.id, new Date(now.getTime() - SEVEN_DAYS_MS).toISOString()),
      limited
        ? this.store.ledger.keySpend(record.id, periodOf(record.limitPeriod, now))
        : undefined,
    ]);
    return { trailingSevenDays, currentPeriod };
  }

  /** Revokes key `id` (false when it was not active): refused here at once, by the other replicas a moment later (see `share`). */
  async revoke(id: string): Promise<boolean> {
    const revoked = await this.store.apiKeys.revoke(id, this.now().toISOString());
    this.forget(id);
    if (revoked) await this.feed?.publish(id);
    return revoked;
  }
}
