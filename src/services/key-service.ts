import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VeniceError } from '../errors/venice-error.ts';
import type { ApiKeyRecord, ApiKeyType, Store } from '../storage/store.ts';

// A key reads `rk-<16 hex id>-<43 char base64url secret>`: the id finds the row, the secret is checked
// against its sha256 in constant time, so neither a timing nor a database leak reveals a usable key.
const KEY_PATTERN = /^rk-([0-9a-f]{16})-([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export interface CreatedKey {
  /** The full key; shown once, never stored. */
  apiKey: string;
  record: ApiKeyRecord;
}

/** How long a key record read from the store is trusted: a revocation elsewhere takes effect within this. */
const RECORD_CACHE_MS = 1000;
const RECORD_CACHE_SIZE = 10_000;

export class KeyService {
  /** When each key's last use was last written; the store needs it at most once a minute. */
  private readonly touched = new Map<string, number>();
  /** Recently read key records by id (the secret is still checked against the hash on every request). */
  private readonly records = new Map<string, { record: ApiKeyRecord; readAt: number }>();

  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}

  async create(input: { apiKeyType: ApiKeyType; description: string; expiresAt?: string | null } & Partial<Pick<ApiKeyRecord, 'accountId' | 'consumptionLimits' | 'limitPeriod' | 'modelPrivacy'>>): Promise<CreatedKey> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const apiKey = `rk-${id}-${secret}`;
    const { apiKeyType, description, expiresAt, ...options } = input;
    await this.store.apiKeys.insert({
      ...options, id, secretHash: hashSecret(secret).toString('hex'), last6: apiKey.slice(-6), apiKeyType, description,
      expiresAt: expiresAt ?? null, createdAt: this.now().toISOString(),
    });
    const record = await this.store.apiKeys.findById(id);
    if (record === undefined) throw new Error(`key ${id} vanished after insert`);
    return { apiKey, record };
  }

  /**
   * The key record for an `Authorization: Bearer` value; throws 401 AUTHENTICATION_FAILED for anything
   * malformed, unknown, revoked or expired (one answer for all, so callers learn nothing about which).
   */
  async authenticate(presented: string): Promise<ApiKeyRecord> {
    const match = KEY_PATTERN.exec(presented);
    const now = this.now();
    const record = match?.[1] === undefined ? undefined : await this.findRecord(match[1], now.getTime());
    const expected = record === undefined ? hashSecret('') : Buffer.from(record.secretHash, 'hex');
    const matches = timingSafeEqual(hashSecret(match?.[2] ?? ''), expected);
    if (record === undefined || !matches || record.revokedAt !== null || (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())) {
      throw new VeniceError('AUTHENTICATION_FAILED');
    }
    if ((this.touched.get(record.id) ?? 0) <= now.getTime() - 60_000) {
      this.touched.set(record.id, now.getTime());
      void this.store.apiKeys.touch(record.id, now.toISOString()).catch(() => undefined);
    }
    return record;
  }

  private async findRecord(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    const cached = this.records.get(id);
    if (cached !== undefined && now - cached.readAt < RECORD_CACHE_MS) return cached.record;
    const record = await this.store.apiKeys.findById(id);
    if (record === undefined) return undefined;
    if (this.records.size >= RECORD_CACHE_SIZE) this.records.clear();
    this.records.set(id, { record, readAt: now });
    return record;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.listActive();
  }

  revoke(id: string): Promise<boolean> {
    this.records.delete(id);
    return this.store.apiKeys.revoke(id, this.now().toISOString());
  }
}
