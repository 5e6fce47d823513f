import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { adminJobsQuery } from '../../schemas/admin.ts';
import { fromNanos } from '../../services/billing/money.ts';
import type { JobRecord, Store } from '../../storage/store.ts';

const PROMPT_CHARACTERS = 200;

/** A job for the operator: its lifecycle and money, the prompt (cut short), never the download token. */
function jobView(job: JobRecord) {
  const prompt = typeof job.request.prompt === 'string' ? job.request.prompt.slice(0, PROMPT_CHARACTERS) : null;
  return {
    id: job.id, kind: job.kind, modelId: job.modelId, accountId: job.accountId, apiKeyId: job.keyId, state: job.state, progress: job.progress,
    prompt, quote: fromNanos(job.quote), refunded: job.refunded, attempts: job.attempts, errorCode: job.errorCode, errorMessage: job.errorMessage,
    resultContentType: job.resultContentType, resultBytes: job.resultBytes,
    createdAt: job.createdAt, startedAt: job.startedAt, completedAt: job.completedAt, deadlineAt: job.deadlineAt,
  };
}

/** GET /admin/jobs?limit=&state=: the newest async jobs (video, music) of every account, and counts by state. */
export function registerListJobs(app: FastifyInstance, store: Store, auth: onRequestAsyncHookHandler): void {
  app.get('/admin/jobs', { onRequest: auth }, async (request) => {
    const { limit, state } = parseOrThrow(adminJobsQuery, request.query);
    const [counts, jobs] = await Promise.all([store.jobs.countByState(), store.jobs.recent({ limit, ...(state === undefined ? {} : { state }) })]);
    return { object: 'list', counts, data: jobs.map(jobView) };
  });
}
