import type {
  ApiKeyRecord,
  LedgerEntry,
  ReserveOutcome,
  ReserveRequest,
  Store,
} from '../../storage/store.ts';
import type { BillingRequest } from './billing.ts';
import { periodOf } from './limit-period.ts';

/** The store's reservation of `amount` nanos for `request` of `key`, held until `leaseUntil`. */
export function reserveRequest(
  key: ApiKeyRecord,
  request: BillingRequest,
  reservationId: string,
  amount: number,
  started: Date,
  leaseUntil: Date,
): ReserveRequest {
  const limits = key.consumptionLimits;
  return {
    reservationId,
    accountId: key.accountId,
    keyId: key.id,
    period: periodOf(key.limitPeriod, started),
    amount,
    keyLimits: { USD: limits.usd, DIEM: limits.diem ?? limits.vcu },
    requestId: request.requestId,
    modelId: request.modelId,
    createdAt: started.toISOString(),
    leaseUntil: leaseUntil.toISOString(),
  };
}

/** One item of the Meter's group commits: a reservation or a closing. */
export type LedgerWork = { reserve: ReserveRequest } | { close: LedgerEntry };

/** Commits a batch of ledger work in one transaction; answers per item, in order. */
export async function commitWork(
  store: Store,
  work: LedgerWork[],
): Promise<(ReserveOutcome | boolean)[]> {
  const closes: LedgerEntry[] = [];
  const reserves: ReserveRequest[] = [];
  for (const item of work) {
    if ('reserve' in item) reserves.push(item.reserve);
    else closes.push(item.close);
  }
  const { closed, reserved } = await store.ledger.commitMany({ closes, reserves });
  let closing = 0;
  let reserving = 0;
  return work.map((item) => ('reserve' in item ? reserved[reserving++]! : closed[closing++]!));
}
