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

export class KeyService {
  /** When each key's last use was last written; the store needs it at most once a minute. */
  private readonly touched = new Map<string, number>();

  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}

  async create(input: { apiKeyType: ApiKeyType; description: string; expiresAt?: string | null }): Promise<CreatedKey> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const apiKey = `rk-${id}-${secret}`;
    const createdAt = this.now().toISOString();
    const fields = { id, secretHash: hashSecret(secret).toString('hex'), last6: apiKey.slice(-6), apiKeyType: input.apiKeyType, description: input.description, expiresAt: input.expiresAt ?? null };
    await this.store.apiKeys.insert({ ...fields, createdAt });
    return { apiKey, record: { ...fields, createdAt, revokedAt: null, lastUsedAt: null } };
  }

  /**
   * The key record for an `Authorization: Bearer` value; throws 401 AUTHENTICATION_FAILED for anything
   * malformed, unknown, revoked or expired (one answer for all, so callers learn nothing about which).
   */
  async authenticate(presented: string): Promise<ApiKeyRecord> {
    const match = KEY_PATTERN.exec(presented);
    const record = match?.[1] === undefined ? undefined : await this.store.apiKeys.findById(match[1]);
    const expected = record === undefined ? hashSecret('') : Buffer.from(record.secretHash, 'hex');
    const matches = timingSafeEqual(hashSecret(match?.[2] ?? ''), expected);
    const now = this.now();
    if (record === undefined || !matches || record.revokedAt !== null || (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())) {
      throw new VeniceError('AUTHENTICATION_FAILED');
    }
    if ((this.touched.get(record.id) ?? 0) <= now.getTime() - 60_000) {
      this.touched.set(record.id, now.getTime());
      void this.store.apiKeys.touch(record.id, now.toISOString()).catch(() => undefined);
    }
    return record;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.listActive();
  }

  revoke(id: string): Promise<boolean> {
    return this.store.apiKeys.revoke(id, this.now().toISOString());
  }
}
