/**
 * The store: everything Rialto persists. One interface, one Kysely query path (kysely-store.ts),
 * one dialect per database (sqlite-store.ts now; PostgreSQL with the accounts work).
 */
export interface Store {
  readonly apiKeys: ApiKeyRepository;
  /** Closes connections; pending calls fail afterwards. */
  close(): Promise<void>;
}

export type ApiKeyType = 'ADMIN' | 'INFERENCE';

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
}

export interface ApiKeyRepository {
  /** Inserts a new key; fails if the id exists. */
  insert(record: Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt' | 'createdAt'> & { createdAt?: string }): Promise<void>;
  /** The key with this id, revoked or not; undefined when unknown. */
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  /** Keys not revoked, oldest first. */
  listActive(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when it was unknown or already revoked. */
  revoke(id: string, at: string): Promise<boolean>;
  /** Records use, at most once a minute per key (callers may call it on every request). */
  touch(id: string, at: string): Promise<void>;
}
