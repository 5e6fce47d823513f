import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { VeniceEngineConfig } from '../../config.ts';
import type { EngineCall, JobEngine, JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../openai-compatible/upstream-pool.ts';
import { decodeVeniceJobId, encodeVeniceJobId, type VeniceJobId } from './venice-job-id.ts';
import { failedStatus, parseJsonObject, progressOf, veniceFailure } from './venice-job-response.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** The job API of each kind (swagger: /video/* and /audio/{queue,retrieve,complete}). */
const API = { video: '/video', music: '/audio' } as const;
const DEFAULT_TYPE = { video: 'video/mp4', music: 'audio/mpeg' } as const;

interface Answer {
  status: number;
  contentType: string;
  body: Dispatcher.ResponseData['body'];
}

const isJson = (contentType: string): boolean => contentType === 'application/json' || contentType.endsWith('+json');

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

  async submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }> {
    let lastError: EngineError | undefined;
    for (const endpoint of this.pool.order()) {
      let answer: Answer;
      try {
        answer = await this.post(endpoint, `${API[job.kind]}/queue`, { ...job.request, model: job.model }, call);
      } catch (error) {
        lastError = this.networkFailure(error, endpoint, call);
        if (!lastError.retryable) throw lastError;
        continue;
      }
      const body = parseJsonObject(await answer.body.text());
      if (answer.status === 200 && typeof body.queue_id === 'string' && body.queue_id !== '') {
        endpoint.succeeded();
        call.servedBy = `${this.kind}/${endpoint.label}`;
        const downloadUrl = typeof body.download_url === 'string' ? body.download_url : undefined;
        return { engineJobId: encodeVeniceJobId({ endpoint: endpoint.url, queueId: body.queue_id, ...(downloadUrl === undefined ? {} : { downloadUrl }) }) };
      }
      lastError = answer.status === 200 ? new EngineError('failed', 'The upstream answered no queue_id.', { retryable: false }) : veniceFailure(answer.status, body, endpoint.label);
      if (!lastError.retryable) throw lastError;
      endpoint.failed(Date.now());
    }
    throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
  }

  async poll(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus> {
    const found = this.find(engineJobId);
    if (found.endpoint === undefined) return { state: 'failed', reason: found.reason, moderation: false };
    const { endpoint, id } = found;
    let answer: Answer;
    try {
      answer = await this.post(endpoint, `${API[job.kind]}/retrieve`, { model: job.model, queue_id: id.queueId }, call);
    } catch (error) {
      throw this.networkFailure(error, endpoint, call);
    }
    if (answer.status === 200 && !isJson(answer.contentType)) {
      endpoint.succeeded();
      return { state: 'done', media: { body: answer.body, contentType: answer.contentType || DEFAULT_TYPE[job.kind] } };
    }
    const body = parseJsonObject(await answer.body.text());
    if (answer.status !== 200) {
      const failure = veniceFailure(answer.status, body, endpoint.label);
      if (failure.retryable) {
        endpoint.failed(Date.now());
        throw failure;
      }
      endpoint.succeeded();
      return failedStatus(failure);
    }
    endpoint.succeeded();
    if (body.status !== 'COMPLETED') {
      const progress = progressOf(body);
      return progress === undefined ? { state: 'running' } : { state: 'running', progress };
    }
    const downloadUrl = typeof body.download_url === 'string' ? body.download_url : id.downloadUrl;
    if (downloadUrl === undefined) return { state: 'failed', reason: 'The upstream reported the job COMPLETED without its media or a download_url.', moderation: false };
    return this.download(downloadUrl, job, call);
  }

  /** GET the pre-signed download_url, without the key (video-generation.mdx, "Private download links"). */
  private async download(url: string, job: JobSubmission, call: EngineCall): Promise<JobStatus> {
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest(url, { method: 'GET', dispatcher: this.downloads, signal: call.signal });
    } catch (error) {
      if (call.signal.aborted) throw error;
      throw new EngineError('offline', `download_url unreachable: ${(error as Error).message}`, { cause: error });
    }
    if (response.statusCode !== 200) {
      const failure = veniceFailure(response.statusCode, parseJsonObject(await response.body.text()), 'download_url');
      if (failure.retryable) throw failure;
      return failedStatus(failure);
    }
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    return { state: 'done', media: { body: response.body, contentType: contentType === '' || contentType === 'application/octet-stream' ? DEFAULT_TYPE[job.kind] : contentType } };
  }

  /** POST …/complete, and DELETE the download_url when there is one (the guide's advice for privacy). Best effort. */
  async cleanup(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<void> {
    const { endpoint, id } = this.find(engineJobId);
    if (endpoint === undefined || id === undefined) return;
    try {
      const answer = await this.post(endpoint, `${API[job.kind]}/complete`, { model: job.model, queue_id: id.queueId }, call);
      await answer.body.dump();
      if (id.downloadUrl !== undefined) await (await undiciRequest(id.downloadUrl, { method: 'DELETE', dispatcher: this.downloads, signal: call.signal })).body.dump();
    } catch {
      // The media is already stored here; an upstream copy left behind expires there.
    }
  }

  private find(engineJobId: string): { endpoint: UpstreamEndpoint; id: VeniceJobId } | { endpoint: undefined; id?: undefined; reason: string } {
    const id = decodeVeniceJobId(engineJobId);
    if (id === undefined) return { endpoint: undefined, reason: 'The job has no upstream job id.' };
    const endpoint = this.pool.endpoints.find((candidate) => candidate.url === id.endpoint);
    if (endpoint === undefined) return { endpoint: undefined, reason: 'The upstream that runs the job is no longer configured.' };
    return { endpoint, id };
  }

  private async post(endpoint: UpstreamEndpoint, path: string, body: Record<string, unknown>, call: EngineCall): Promise<Answer> {
    const response = await endpoint.pool.request({
      method: 'POST', path: `${endpoint.basePath}${path}`, body: JSON.stringify(body), signal: call.signal,
      headers: { 'content-type': 'application/json', accept: '*/*', ...(endpoint.apiKey === undefined ? {} : { authorization: `Bearer ${endpoint.apiKey}` }) },
    });
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    return { status: response.statusCode, contentType, body: response.body };
  }

  /** A request that got no answer: the worker is stopping, it timed out, or the endpoint is unreachable. */
  private networkFailure(error: unknown, endpoint: UpstreamEndpoint, call: EngineCall): EngineError {
    const code = (error as { code?: string }).code ?? '';
    if (call.signal.aborted) return new EngineError('failed', 'the job step was stopped', { cause: error, retryable: false });
    endpoint.failed(Date.now());
    if (TIMEOUT_CODES.has(code)) return new EngineError('timeout', `upstream ${endpoint.label} timed out (${code})`, { cause: error, retryable: false });
    return new EngineError('offline', `upstream ${endpoint.label} unreachable: ${(error as Error).message}`, { cause: error });
  }

  /** GET /models on every endpoint, with the key: the upstream answers and takes the key. */
  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    const problems = (await Promise.all(this.pool.endpoints.map(async (endpoint) => {
      try {
        const response = await endpoint.pool.request({
          method: 'GET', path: `${endpoint.basePath}/models`, signal,
          headers: endpoint.apiKey === undefined ? {} : { authorization: `Bearer ${endpoint.apiKey}` },
        });
        await response.body.dump();
        return response.statusCode === 200 ? undefined : `${endpoint.shownUrl} answered ${response.statusCode}`;
      } catch (error) {
        return `${endpoint.shownUrl} is not reachable (${(error as Error).message})`;
      }
    }))).filter((problem) => problem !== undefined);
    return { healthy: problems.length === 0, detail: problems.length === 0 ? 'every endpoint answers' : problems.join('; ') };
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.downloads.close()]);
  }
}
