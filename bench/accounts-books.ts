// The books of a bench's Rialto configuration, read through its store once its processes have stopped: the usage
// records sum to the balance decrease, nothing is left reserved, one record per request sent.
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/storage/open-store.ts';
import type { Currency, Nanos } from '../src/storage/store.ts';
import { rialtoEnvironment, table } from './harness.ts';

export const NANOS_PER_USD = 1_000_000_000;

export interface Books {
  id: string;
  records: number;
  sent: number;
  charged: Record<Currency, Nanos>;
  decrease: Record<Currency, Nanos>;
  reserved: Record<Currency, Nanos>;
  statuses: Map<string, number>;
  problems: string[];
}

/** Reads the 'default' account of `configFile`'s store, funded with `fundingUsd`, after `sent` chat requests. */
export async function checkBooks(
  id: string,
  configFile: string,
  fundingUsd: number,
  sent: number,
  priced: boolean,
): Promise<Books> {
  const store = await openStore(loadConfig(configFile, rialtoEnvironment()));
  try {
    const charged: Record<Currency, Nanos> = { USD: 0, DIEM: 0 };
    const statuses = new Map<string, number>();
    let records = 0;
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await store.usage.list({
        accountId: 'default',
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      for (const record of page) {
        charged[record.currency] += record.amount;
        statuses.set(record.status, (statuses.get(record.status) ?? 0) + 1);
      }
      records += page.length;
      const last = page.at(-1);
      if (page.length < 1000 || last === undefined) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const account = await store.accounts.find('default');
    if (account === undefined) throw new Error(`configuration ${id}: no 'default' account`);
    const decrease = {
      USD: fundingUsd * NANOS_PER_USD - account.usdBalance,
      DIEM: -account.diemBalance,
    };
    const reserved = { USD: account.usdReserved, DIEM: account.diemReserved };
    const problems: string[] = [];
    for (const currency of ['USD', 'DIEM'] as const) {
      if (charged[currency] !== decrease[currency])
        problems.push(
          `${currency}: usage records sum to ${charged[currency]} nanos, the balance went down by ${decrease[currency]}`,
        );
      if (reserved[currency] !== 0)
        problems.push(`${currency}: ${reserved[currency]} nanos still reserved`);
    }
    if (records !== sent) problems.push(`${records} usage records for ${sent} requests`);
    if (priced && charged.USD <= 0) problems.push('a priced model charged nothing');
    if (!priced && (charged.USD !== 0 || charged.DIEM !== 0))
      problems.push('a free model charged something');
    return { id, records, sent, charged, decrease, reserved, statuses, problems };
  } finally {
    await store.close();
  }
}

export function booksReport(books: Books[]): string {
  const usd = (nanos: Nanos): string => (nanos / NANOS_PER_USD).toFixed(9);
  return table(
    [
      'configuration',
      'requests',
      'usage records',
      'charged USD',
      'balance decrease USD',
      'reserved USD/DIEM',
      'statuses',
      'check',
    ],
    books.map((entry) => [
      entry.id,
      String(entry.sent),
      String(entry.records),
      usd(entry.charged.USD),
      usd(entry.decrease.USD),
      `${entry.reserved.USD}/${entry.reserved.DIEM}`,
      [...entry.statuses].map(([status, count]) => `${status} ${count}`).join(', '),
      entry.problems.length === 0 ? 'ok' : 'FAILED',
    ]),
    1,
  );
}
