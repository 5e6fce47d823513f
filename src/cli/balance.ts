import { decimalOf, fromNanos, NANOS_PER_UNIT } from '../services/billing/money.ts';
import {
  CreditRefusedError,
  MAX_NANOS,
  type AccountRecord,
  type Currency,
  type Nanos,
  type Store,
} from '../storage/store.ts';

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const FRACTION_DIGITS = String(NANOS_PER_UNIT).length - 1;
const EXAMPLE = 'e.g. rialto balance add 25 or rialto balance add 10.50';

/**
 * `rialto balance add <amount>`: a plain decimal amount above zero, read exactly into nanos (no float on the way).
 * Number() read "0x10" as 16, "1e3" as 1000 and "1e-12" as a credit of nothing: hex, exponents, signs, digits finer
 * than one nano-unit and amounts past what a balance holds (MAX_NANOS) are refused, with the reason.
 */
export function parseBalanceAmount(text: string | undefined): Nanos {
  if (text === undefined) throw new Error(`balance add needs an amount, ${EXAMPLE}`);
  const match = PLAIN_DECIMAL.exec(text);
  if (match === null)
    throw new Error(
      `balance add takes a plain decimal amount above zero, ${EXAMPLE}; not ${JSON.stringify(text)}`,
    );
  const [, whole = '', fraction = ''] = match;
  if (fraction.replace(/0+$/, '').length > FRACTION_DIGITS)
    throw new Error(`${text} is finer than the smallest unit, ${decimalOf(1)}`);
  const nanos =
    BigInt(whole) * BigInt(NANOS_PER_UNIT) +
    BigInt(fraction.slice(0, FRACTION_DIGITS).padEnd(FRACTION_DIGITS, '0'));
  if (nanos === 0n) throw new Error(`balance add needs an amount above zero, ${EXAMPLE}`);
  if (nanos > BigInt(MAX_NANOS))
    throw new Error(`${text} is more than a balance holds (at most ${decimalOf(MAX_NANOS)})`);
  return Number(nanos);
}

/** The line `balance add` and `balance show` print. */
export function balanceLine(account: AccountRecord): string {
  return `${account.id}  USD ${fromNanos(account.usdBalance)} (reserved ${fromNanos(account.usdReserved)})  DIEM ${fromNanos(account.diemBalance)} (reserved ${fromNanos(account.diemReserved)})\n`;
}

/** Credits `nanos` (from parseBalanceAmount) to the account, creating it empty first; a sum past MAX_NANOS is refused. */
export async function addBalance(
  store: Store,
  accountId: string,
  currency: Currency,
  nanos: Nanos,
): Promise<AccountRecord> {
  await store.accounts.ensure(accountId, accountId, new Date().toISOString());
  try {
    return await store.accounts.credit(accountId, currency, nanos);
  } catch (error) {
    if (error instanceof CreditRefusedError && error.reason === 'over-maximum') {
      throw new Error(
        `the ${currency} balance of ${accountId} would pass ${decimalOf(MAX_NANOS)}, the most it holds; nothing was added`,
      );
    }
    throw error;
  }
}
