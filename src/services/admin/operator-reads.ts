import type { RateLimiter } from '../../rate-limit/rate-limiter.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { JobRecord, JobState, Store } from '../../storage/store.ts';
import type { WalletEntry, WalletId, WalletSummary } from '../../storage/wallet-store.ts';
import { fromNanos } from '../billing/money.ts';
import { addressOf, walletIdOf } from '../wallets/wallet-id.ts';

const PROMPT_CHARACTERS = 200;

/** A job for the operator: its lifecycle and money, the prompt (cut short), never the download token. */
function jobView(job: JobRecord) {
  const prompt =
    typeof job.request.prompt === 'string' ? job.request.prompt.slice(0, PROMPT_CHARACTERS) : null;
  return {
    id: job.id,
    kind: job.kind,
    modelId: job.modelId,
    accountId: job.accountId,
    apiKeyId: job.keyId,
    state: job.state,
    progress: job.progress,
    prompt,
    quote: fromNanos(job.quote),
    refunded: job.refunded,
    attempts: job.attempts,
    errorCode: job.errorCode,
    errorMessage: job.errorMessage,
    resultContentType: job.resultContentType,
    resultBytes: job.resultBytes,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    deadlineAt: job.deadlineAt,
  };
}

/** The ledger's key 'eip155:0x…' / 'solana:…' as the console shows it: the address and its network family. */
function walletName(wallet: WalletId) {
  const network = wallet.startsWith('solana:') ? ('solana' as const) : ('eip155' as const);
  return { address: addressOf(wallet), network };
}

/** A wallet for the operator; every amount in integer nano-USD (exact: the console formats them). */
function walletView(summary: WalletSummary) {
  return {
    ...walletName(summary.wallet),
    balanceNanos: summary.balance,
    reservedNanos: summary.reserved,
    toppedUpNanos: summary.toppedUp,
    chargedNanos: summary.charged,
    refundedNanos: summary.refunded,
    entries: summary.entries,
    createdAt: summary.createdAt,
    lastActivityAt: summary.lastActivityAt,
  };
}

/** A ledger entry: `amountNanos` signed (CHARGE negative); TOP_UP names its payment's network and transaction. */
function walletEntryView(entry: WalletEntry) {
  return {
    id: entry.id,
    type: entry.type,
    amountNanos: entry.amount,
    balanceAfterNanos: entry.balanceAfter,
    requestId: entry.requestId,
    modelId: entry.modelId,
    network: entry.network,
    transaction: entry.transaction,
    createdAt: entry.createdAt,
  };
}

/**
 * What the operator's console reads across every account (routes/admin): async jobs, the rate-limit breach
 * log, and the x402 wallets with their ledgers. Read-only; ADMIN keys only, checked by the routes.
 */
export class OperatorReads {
  /** `limiter` is absent when rate limiting is off: the breach log is then empty. */
  constructor(
    private readonly store: Store,
    private readonly limiter: RateLimiter | undefined,
  ) {}

  /** Whether rate limiting is on (the breach log says so). */
  get limitsEnabled(): boolean {
    return this.limiter !== undefined;
  }

  /** The newest `limit` jobs (of one state when given), and the counts by state. */
  async jobs(query: { limit: number; state?: JobState | undefined }) {
    const [counts, jobs] = await Promise.all([
      this.store.jobs.countByState(),
      this.store.jobs.recent({
        limit: query.limit,
        ...(query.state === undefined ? {} : { state: query.state }),
      }),
    ]);
    return { counts, data: jobs.map(jobView) };
  }

  /** Every x402 wallet with its balance and totals, the most recently active first. */
  async wallets(page: { limit: number; offset: number }) {
    const { total, data } = await this.store.wallets.list(page);
    return { total, data: data.map(walletView) };
  }

  /**
   * One wallet's ledger, newest first, and its balance; `hasMore` when entries follow this page. WALLET_NOT_FOUND
   * when the ledger never credited the address.
   */
  async walletEntries(address: string, page: { limit: number; offset: number }) {
    const wallet = walletIdOf(address);
    if (wallet === undefined || !(await this.store.wallets.exists(wallet)))
      throw new VeniceError('WALLET_NOT_FOUND');
    const [balance, entries] = await Promise.all([
      this.store.wallets.balance(wallet),
      this.store.wallets.entries(wallet, { limit: page.limit + 1, offset: page.offset }),
    ]);
    return {
      ...walletName(wallet),
      balanceNanos: balance.balance,
      reservedNanos: balance.reserved,
      hasMore: entries.length > page.limit,
      data: entries.slice(0, page.limit).map(walletEntryView),
    };
  }

  /** The last 50 rate-limit refusals of every key, newest first, each with its key's description and account. */
  async breaches() {
    const breaches = this.limiter === undefined ? [] : await this.limiter.recentBreaches();
    const keys = new Map(
      await Promise.all(
        [...new Set(breaches.map((breach) => breach.apiKeyId))].map(
          async (id) => [id, await this.store.apiKeys.findById(id)] as const,
        ),
      ),
    );
    return breaches.map(({ apiKeyId, modelId, rateLimitTier, rateLimitType, timestamp }) => {
      const key = keys.get(apiKeyId);
      return {
        apiKeyId,
        keyDescription: key?.description ?? null,
        accountId: key?.accountId ?? null,
        modelId,
        rateLimitTier,
        rateLimitType,
        timestamp,
      };
    });
  }
}
