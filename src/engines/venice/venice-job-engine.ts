import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { VeniceEngineConfig } from '../../config.ts';
import type { EngineCall, JobEngine, JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { brokenAnswer } from '../upstream/network-error.ts';
import {
  requestEndpoint,
  requestWithFailover,
  unread,
  type UpstreamExchange,
} from '../upstream/request-with-failover.ts';
import { fieldsOf, jsonBody, readAnswer } from '../upstream/upstream-answer.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { decodeVeniceJobId, encodeVeniceJobId, type VeniceJobId } from './venice-job-id.ts';
import {
  failedStatus,
  progressOf,
  queueAnswer,
  retrieveAnswer,
  veniceFailure,
  type RetrieveAnswer,
} from './venice-job-response.ts';

/** The job API of each kind (swagger: /video/* and /audio/{queue,retrieve,complete}). */
const API = { video: '/video', music: '/audio' } as const;
const DEFAULT_TYPE = { video: 'video/mp4', music: 'audio/mpeg' } as const;

const contentTypeOf = (response: Dispatcher.ResponseData): string =>
  String(response.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
const isJson = (contentType: string): boolean =>
  contentType === 'application/json' || contentType.endsWith('+json');

/**
 * Another Venice API (Rialto, or the hosted one) relaying jobs one for one: submit is POST /video/queue (or
 * /audio/queue) with the client's request, model replaced by the upstream's name; poll is POST …/retrieve
 * {model, queue_id}, whose answer is JSON while the job runs and the media itself when it is done (or JSON
 * COMPLETED for a private model, whose media is then at the download_url the queue answer gave); cleanup is
 * POST …/complete. Submissions go to the pool's endpoints in order (healthy first) until one accepts; the job
 * then stays on that endpoint, named in its engine id. Unreachable or busy upstreams throw retryable
 * EngineErrors (the job runner tries again later); the upstream's own verdicts end the job.
 */
export class VeniceJobEngine implements JobEngine {
  readonly kind = 'venice';
  readonly modality = 'job';
  private readonly pool: UpstreamPool;
  /** For download URLs, which are on other hosts and take no key. */
  private readonly downloads: Agent;

  constructor(config: VeniceEngineConfig) {
    this.pool = new UpstreamPool(config);
    this.downloads = new Agent({ headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs });
  }

  private exchange(
    path: string,
    body: Record<string, unknown>,
  ): UpstreamExchange<Dispatcher.ResponseData> {
    return {
      kind: this.kind,
      path,
      body: jsonBody(body),
      accept: '*/*',
      failure: veniceFailure,
      read: unread,
    };
  }

  async submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }> {
    const { answer, endpoint } = await requestWithFailover(
      this.pool,
      this.exchange(`${API[job.kind]}/queue`, { ...job.request, model: job.model }),
      call,
    );
    const body = await readAnswer(answer).catch((error: unknown) => {
      throw brokenAnswer(error, endpoint.label, call);
    });
    if (answer.statusCode !== 200) throw veniceFailure(answer.statusCode, body, endpoint.label);
    const queued = fieldsOf(queueAnswer, body);
    if (queued === undefined)
      throw new EngineError('failed', 'The upstream answered no queue_id.', { retryable: false });
    const downloadUrl = queued.download_url;
    return {
      engineJobId: encodeVeniceJobId({
        endpoint: endpoint.identity,
        queueId: queued.queue_id,
        ...(downloadUrl === undefined ? {} : { downloadUrl }),
      }),
    };
  }

  async poll(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus> {
    const found = this.find(engineJobId);
    if ('reason' in found) return { state: 'failed', reason: found.reason, moderation: false };
    const { endpoint, id } = found;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await requestEndpoint(
        endpoint,
        this.exchange(`${API[job.kind]}/retrieve`, { model: job.model, queue_id: id.queueId }),
        call,
      );
    } catch (error) {
      // The upstream's verdict ends the job; no answer, or a busy one, is thrown for the runner's next try.
      if (!(error instanceof EngineError) || error.options.status === undefined || error.retryable)
        throw error;
      endpoint.succeeded();
      return failedStatus(error);
    }
    const contentType = contentTypeOf(answer);
    if (answer.statusCode === 200 && !isJson(contentType))
      return {
        state: 'done',
        media: { body: answer.body, contentType: contentType || DEFAULT_TYPE[job.kind] },
      };
    const body = await readAnswer(answer).catch((error: unknown) => {
      throw brokenAnswer(error, endpoint.label, call);
    });
    if (answer.statusCode !== 200)
      return failedStatus(veniceFailure(answer.statusCode, body, endpoint.label));
    const retrieved: RetrieveAnswer = fieldsOf(retrieveAnswer, body) ?? {};
    if (retrieved.status !== 'COMPLETED') {
      const progress = progressOf(retrieved);
      return progress === undefined ? { state: 'running' } : { state: 'running', progress };
    }
    const downloadUrl = retrieved.download_url ?? id.downloadUrl;
    if (downloadUrl === undefined)
      return {
        state: 'failed',
        reason: 'The upstream reported the job COMPLETED without its media or a download_url.',
        moderation: false,
      };
    return this.download(downloadUrl, job, call);
  }

  /** GET the pre-signed download_url, without the key (video-generation.mdx, "Private download links"). */
  private async download(url: string, job: JobSubmission, call: EngineCall): Promise<JobStatus> {
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest(url, {
        method: 'GET',
        dispatcher: this.downloads,
        signal: call.signal,
      });
    } catch (error) {
      if (call.signal.aborted) throw error;
      throw new EngineError(
        'offline',
        `download_url unreachable: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (response.statusCode !== 200) {
      const failure = veniceFailure(
        response.statusCode,
        await readAnswer(response),
        'download_url',
      );
      if (failure.retryable) throw failure;
      return failedStatus(failure);
    }
    const contentType = contentTypeOf(response);
    return {
      state: 'done',
      media: {
        body: response.body,
        contentType:
          contentType === '' || contentType === 'application/octet-stream'
            ? DEFAULT_TYPE[job.kind]
            : contentType,
      },
    };
  }

  /** POST …/complete, and DELETE the download_url when there is one (the guide's advice for privacy). Best effort. */
  async cleanup(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<void> {
    const found = this.find(engineJobId);
    if ('reason' in found) return;
    const { endpoint, id } = found;
    try {
      const answer = await requestEndpoint(
        endpoint,
        this.exchange(`${API[job.kind]}/complete`, { model: job.model, queue_id: id.queueId }),
        call,
      ).catch((error: unknown) => {
        // Any answer, a refusal too, lets the download_url go next; no answer at all ends the cleanup.
        if (error instanceof EngineError && error.options.status !== undefined) return undefined;
        throw error;
      });
      await answer?.body.dump();
      if (id.downloadUrl !== undefined)
        await (
          await undiciRequest(id.downloadUrl, {
            method: 'DELETE',
            dispatcher: this.downloads,
            signal: call.signal,
          })
        ).body.dump();
    } catch {
      // The media is already stored here; an upstream copy left behind expires there.
    }
  }

  /** The endpoint a job id names: by its identity (a URL without credentials; older ids held the whole URL). */
  private find(
    engineJobId: string,
  ): { endpoint: UpstreamEndpoint; id: VeniceJobId } | { reason: string } {
    const id = decodeVeniceJobId(engineJobId);
    if (id === undefined) return { reason: 'The job has no upstream job id.' };
    const endpoint = this.pool.endpoints.find((candidate) => candidate.identity === id.endpoint);
    if (endpoint === undefined)
      return { reason: 'The upstream that runs the job is no longer configured.' };
    return { endpoint, id };
  }

  /** GET /models on every endpoint, with the key: the upstream answers (200) and takes the key. */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkModels(signal, (status) => status === 200);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.downloads.close()]);
  }
}
