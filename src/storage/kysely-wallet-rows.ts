import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Nanos } from './store.ts';
import type { PendingTopUp, WalletEntry } from './wallet-store.ts';
import type { WalletEntryTable, WalletPendingTopUpTable } from './wallet-tables.ts';

/** ledger_ + time (base 36, sortable) + randomness: ids of one wallet sort by creation within the same createdAt. */
export function entryId(): string {
  return `ledger_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export function toEntry(row: Selectable<WalletEntryTable>): WalletEntry {
  return {
    id: row.id,
    wallet: row.wallet,
    type: row.type,
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    requestId: row.request_id,
    modelId: row.model_id,
    network: row.network,
    transaction: row.tx_hash,
    createdAt: row.created_at,
  };
}

export function toPending(row: Selectable<WalletPendingTopUpTable>): PendingTopUp {
  return {
    paymentKey: row.payment_key,
    wallet: row.wallet,
    amount: Number(row.amount),
    network: row.network,
    asset: row.asset,
    payTo: row.pay_to,
    value: row.value,
    authorizer: row.authorizer,
    nonce: row.nonce,
    validBefore: row.valid_before,
    fromBlock: row.from_block,
    createdAt: row.created_at,
  };
}

export function wholeNanos(amount: Nanos, what: string): bigint {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`${what} ${amount} is not a whole, non-negative number of nanos`);
  return BigInt(amount);
}
