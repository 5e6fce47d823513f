import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them; migrations/ creates them. Timestamps are ISO-8601 strings in UTC. */
export interface Database {
  api_keys: ApiKeyTable;
}

export interface ApiKeyTable {
  id: string;
  /** sha256 of the secret part, hex; the secret itself is never stored. */
  secret_hash: string;
  /** The key's first characters, shown in listings so an operator can tell keys apart. */
  last6: string;
  api_key_type: 'ADMIN' | 'INFERENCE';
  description: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  sequence: Generated<number>;
}
