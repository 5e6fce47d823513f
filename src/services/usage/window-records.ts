import type { Store, UsageRecord } from '../../storage/store.ts';
import type { AnalyticsWindow } from './analytics-window.ts';

const PAGE = 1000;

/** Every usage record of an account in the window, oldest first, read from the store a page at a time. */
export async function* windowRecords(
  store: Store,
  accountId: string,
  window: AnalyticsWindow,
): AsyncGenerator<UsageRecord> {
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.usage.list({
      accountId,
      from: window.from,
      to: window.to,
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    yield* page;
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
