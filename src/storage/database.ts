import type { Generated } from 'kysely';
import type { VoiceTables } from './voice-store.ts';
import type { WalletTables } from './wallet-tables.ts';

/**
 * Table shapes as Kysely sees them; migrations/ creates them. Timestamps are ISO-8601 strings in UTC;
 * money is integer nano-units (1e-9 USD or DIEM).
 */
export interface Database extends WalletTables, VoiceTables {
  api_keys: ApiKeyTable;
  accounts: AccountTable;
  key_spend: KeySpendTable;
  reservations: ReservationTable;
  usage_records: UsageRecordTable;
  jobs: JobTable;
  characters: CharacterTable;
  character_labels: CharacterLabelTable;
  character_reviews: CharacterReviewTable;
}

export interface ApiKeyTable {
  id: string;
  /** sha256 of the secret part, hex; the secret itself is never stored. */
  secret_hash: string;
  /** The key's last characters, shown in listings so an operator can tell keys apart. */
  last6: string;
  api_key_type: 'ADMIN' | 'INFERENCE';
  description: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  sequence: Generated<number>;
  account_id: Generated<string>;
  limit_usd: number | null;
  limit_diem: number | null;
  limit_vcu: number | null;
  limit_period: Generated<'EPOCH' | 'MONTH' | 'LIFETIME'>;
  model_privacy: Generated<'ALL' | 'PRIVATE_TEXT' | 'PRIVATE_ONLY'>;
}

export interface AccountTable {
  id: string;
  name: string;
  usd_balance: Generated<number>;
  usd_reserved: Generated<number>;
  diem_balance: Generated<number>;
  diem_reserved: Generated<number>;
  diem_epoch_allocation: Generated<number>;
  created_at: string;
}

export interface KeySpendTable {
  key_id: string;
  period: string;
  usd_spent: Generated<number>;
  usd_reserved: Generated<number>;
  diem_spent: Generated<number>;
  diem_reserved: Generated<number>;
}

export interface ReservationTable {
  id: string;
  account_id: string;
  key_id: string;
  period: string;
  currency: 'USD' | 'DIEM';
  amount: number;
  state: 'open' | 'settled' | 'released';
  request_id: string;
  model_id: string;
  created_at: string;
  lease_until: string;
  /** 'request': one request's worst case; 'lease': a budget lease an instance spends from (LedgerRepository.acquireLease). */
  kind: 'request' | 'lease';
}

export interface UsageRecordTable {
  id: string;
  request_id: string;
  account_id: string;
  key_id: string | null;
  model_id: string;
  model_type: string;
  currency: 'USD' | 'DIEM';
  amount: number;
  prompt_tokens: Generated<number>;
  completion_tokens: Generated<number>;
  cached_tokens: Generated<number>;
  status: string;
  execution_ms: Generated<number>;
  created_at: string;
}

export interface JobTable {
  id: string;
  kind: 'video' | 'music';
  model_id: string;
  account_id: string;
  key_id: string;
  /** The validated request body, JSON. */
  request: string;
  state: 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'DELETED';
  progress: number | null;
  engine_job_id: string | null;
  result_key: string | null;
  result_content_type: string | null;
  result_bytes: number | null;
  error_code: string | null;
  error_message: string | null;
  refunded: Generated<number>;
  attempts: Generated<number>;
  reservation_id: string | null;
  quote: Generated<number>;
  delete_on_delivery: Generated<number>;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  deadline_at: string;
  next_run_at: string;
  claimed_by: string | null;
  claim_until: string | null;
  download_token_hash: string | null;
  download_revoked_at: string | null;
  /** Which ledger holds the quote (migration 009): 'account' (store.ledger) or 'wallet' (store.wallets). */
  ledger: Generated<'account' | 'wallet'>;
}

/** Flags are 0/1 integers, as in jobs; the rating counters move with character_reviews. */
export interface CharacterTable {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  author: string;
  adult: number;
  featured: number;
  web_enabled: number;
  pro: number;
  public: number;
  model_id: string;
  share_url: string | null;
  photo_url: string | null;
  system_prompt: string;
  imports: number;
  rating_count: number;
  rating_sum: number;
  created_at: string;
  updated_at: string;
}

export interface CharacterLabelTable {
  character_id: string;
  kind: 'tag' | 'category';
  position: number;
  term: string;
}

export interface CharacterReviewTable {
  id: string;
  character_id: string;
  account_id: string | null;
  username: string;
  rating: number;
  message: string | null;
  locale: string | null;
  user_avatar_url: string | null;
  created_at: string;
}
