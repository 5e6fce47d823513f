import type { RateLimiter } from '../../rate-limit/rate-limiter.ts';
import type { JobRecord, JobState, Store } from '../../storage/store.ts';
import { fromNanos } from '../billing/money.ts';

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

/**
 * What the operator's console reads across every account (routes/admin): async jobs and the rate-limit breach
 * log. Read-only; ADMIN keys only, checked by the routes.
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
