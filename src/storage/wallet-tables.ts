import type { Generated } from 'kysely';
import type { WalletEntryType } from './wallet-store.ts';

/** The wallet ledger's tables as Kysely sees them (migrations/006-wallet-ledger.ts); money in integer nano-USD. */
export interface WalletTables {
  wallets: WalletTable;
  wallet_entries: WalletEntryTable;
  wallet_reservations: WalletReservationTable;
  wallet_nonces: WalletNonceTable;
  wallet_pending_top_ups: WalletPendingTopUpTable;
}

export interface WalletTable {
  wallet: string;
  balance: Generated<number>;
  reserved: Generated<number>;
  created_at: string;
}

export interface WalletEntryTable {
  id: string;
  wallet: string;
  type: WalletEntryType;
  amount: number;
  balance_after: number;
  idempotency_key: string | null;
  request_id: string | null;
  model_id: string | null;
  network: string | null;
  tx_hash: string | null;
  created_at: string;
}

export interface WalletReservationTable {
  id: string;
  wallet: string;
  amount: number;
  state: 'open' | 'settled' | 'released';
  request_id: string;
  model_id: string;
  created_at: string;
  lease_until: string;
}

export interface WalletNonceTable {
  nonce_key: string;
  expires_at: string;
}

/** A top-up verified and not yet credited (migrations/008-wallet-pending-top-ups.ts). */
export interface WalletPendingTopUpTable {
  payment_key: string;
  wallet: string;
  amount: number;
  network: string;
  asset: string;
  pay_to: string;
  value: string;
  authorizer: string;
  nonce: string;
  valid_before: string;
  from_block: string;
  created_at: string;
}
