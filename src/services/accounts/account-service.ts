import { VeniceError } from '../../errors/venice-error.ts';
import { CreditRefusedError, MAX_NANOS, type Currency, type Store } from '../../storage/store.ts';
import type { Meter } from '../billing/meter.ts';
import { decimalOf, toNanos } from '../billing/money.ts';
import { accountView } from './account-view.ts';

export type AccountView = ReturnType<typeof accountView>;

/** An account's money as /billing/balance shows it: free balances, in nanos, and the DIEM epoch allocation. */
export interface FreeBalances {
  usd: number;
  diem: number;
  diemEpochAllocation: number;
}

/**
 * Accounts and their money outside a request's billing: balance reads and the operator's top-ups. The one way
 * routes read or move an account's money; requests spend through the Meter.
 */
export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly meter: Pick<Meter, 'balances'>,
  ) {}

  /** Free balances in decimal units (x-venice-balance-*, /api_keys/rate_limits): what requests in flight hold is not free. */
  balances(accountId: string): Promise<{ usd: number; diem: number }> {
    return this.meter.balances(accountId);
  }

  /** Free balances in nanos (balance − reserved); an unknown account holds nothing. */
  async freeBalances(accountId: string): Promise<FreeBalances> {
    const account = await this.store.accounts.find(accountId);
    return {
      usd: (account?.usdBalance ?? 0) - (account?.usdReserved ?? 0),
      diem: (account?.diemBalance ?? 0) - (account?.diemReserved ?? 0),
      diemEpochAllocation: account?.diemEpochAllocation ?? 0,
    };
  }

  /** Every account, oldest first, with its balances and number of active keys. */
  async list(): Promise<AccountView[]> {
    const [accounts, keys] = await Promise.all([
      this.store.accounts.list(),
      this.store.apiKeys.listActive(),
    ]);
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key.accountId, (counts.get(key.accountId) ?? 0) + 1);
    return accounts.map((account) => accountView(account, counts.get(account.id) ?? 0));
  }

  /**
   * Credits an existing account atomically (`amount` in decimal units); the account after it. 400 for an unknown
   * account or a balance that would pass the most an account holds (checked in the store's one conditional update,
   * so two top-ups at once cannot pass the bound together).
   */
  async topUp(accountId: string, currency: Currency, amount: number): Promise<AccountView> {
    const account = await this.store.accounts
      .credit(accountId, currency, toNanos(amount))
      .catch((error: unknown) => {
        if (!(error instanceof CreditRefusedError)) throw error;
        // An unknown id is a typo, not a new account: accounts come into being with their first key.
        if (error.reason === 'unknown-account')
          throw new VeniceError('INVALID_REQUEST', { message: 'Account not found' });
        throw new VeniceError('INVALID_REQUEST', {
          message: `The ${currency} balance would pass ${decimalOf(MAX_NANOS)}, the most an account holds`,
          extra: { details: { amount: { _errors: [error.message] } } },
        });
      });
    const keys = await this.store.apiKeys.listActive(accountId);
    return accountView(account, keys.length);
  }
}
