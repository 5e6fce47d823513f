import { fromNanos } from '../billing/money.ts';
import type { AccountRecord } from '../../storage/store.ts';

/** An account as /admin/accounts shows it: free balances (as /billing/balance), what requests in flight hold, its keys. */
export function accountView(account: AccountRecord, activeKeys: number) {
  return {
    id: account.id,
    name: account.name,
    balances: {
      usd: fromNanos(account.usdBalance - account.usdReserved),
      diem: fromNanos(account.diemBalance - account.diemReserved),
    },
    reserved: { usd: fromNanos(account.usdReserved), diem: fromNanos(account.diemReserved) },
    diemEpochAllocation: fromNanos(account.diemEpochAllocation),
    activeKeys,
    createdAt: account.createdAt,
  };
}
