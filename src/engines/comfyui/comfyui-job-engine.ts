import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ModelConfig } from '../../config.ts';
import type { ComfyUiEngineConfig } from '../../config/comfyui-engine-config.ts';
import type { EngineCall, JobEngine, JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { requestEndpoint } from '../upstream/request-with-failover.ts';
import { jsonBody } from '../upstream/upstream-answer.ts';
import { upstreamError } from '../upstream/upstream-errors.ts';
import type { ApiWorkflow, ComfyUiClient, QueuedPrompt } from './comfyui-client.ts';
import { musicValues, videoValues } from './comfyui-job-fields.ts';
import { decodeComfyUiJobId, encodeComfyUiJobId } from './comfyui-job-id.ts';
import { buildJobWorkflow, fpsOf, mediaTypeOf, outputFileOf } from './comfyui-job-workflow.ts';

/** What the client is told when the workflow fails (the server's own words go to the log: they name its files). */
const FAILED = 'The ComfyUI workflow failed; nothing was generated.';
const LOST = 'The ComfyUI server no longer knows the job (it restarted and lost its queue).';

/**
 * Video and music jobs on ComfyUI (the durable job API: quote, queue, retrieve, complete). `submit` uploads the
 * request's media, queues the mapped workflow on the endpoint with the shortest queue and returns an id holding
 * that endpoint's identity and the prompt id (comfyui-job-id.ts); `poll` reads /history and /queue, so a worker
 * of any process, after a restart too, finds the prompt again and never queues it twice. While this process
 * watches a prompt it queued, the WebSocket's `progress` events give the job's progress. `cleanup` deletes the
 * history entry; `cancel` takes the prompt off the queue or interrupts it.
 */
export class ComfyUiJobEngine implements JobEngine {
  readonly kind = 'comfyui';
  readonly modality = 'job';
  /** Progress (0..1) of the prompts this process watches, by prompt id; their watches stop on abort. */
  private readonly watched = new Map<string, { progress?: number; stop: AbortController }>();

  constructor(
    private readonly client: ComfyUiClient,
    private readonly config: ComfyUiEngineConfig,
    private readonly model: ModelConfig,
    private readonly workflow: ApiWorkflow,
    private readonly logger: Logger,
  ) {}

  async submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }> {
    if (job.kind !== this.model.type)
      throw new EngineError('bad_request', `model ${this.model.id} runs ${this.model.type} jobs`, {
        retryable: false,
      });
    const values =
      job.kind === 'video'
        ? await videoValues(job, this.model, fpsOf(this.workflow, this.config.inputs))
        : musicValues(job, this.model);
    const clientId = randomUUID();
    const prompt = await this.client.submit(
      (endpoint) =>
        buildJobWorkflow(this.workflow, this.config.inputs, values, (file) =>
          this.client.upload(endpoint, file, call),
        ),
      call,
      clientId,
    );
    this.watch(prompt, clientId);
    return {
      engineJobId: encodeComfyUiJobId({
        endpoint: prompt.endpoint.identity,
        promptId: prompt.promptId,
        clientId,
      }),
    };
  }

  /** Follows the prompt's WebSocket events for its progress, until it ends or the job is cleaned up. */
  private watch(prompt: QueuedPrompt, clientId: string): void {
    const stop = new AbortController();
    const entry: { progress?: number; stop: AbortController } = { stop };
    this.watched.set(prompt.promptId, entry);
    this.client
      .wait(
        prompt,
        clientId,
        { signal: stop.signal },
        {
          deadline: Date.now() + this.config.timeoutMs,
          onProgress: ({ value, max }) => {
            entry.progress = Math.min(1, Math.max(0, value / max));
          },
        },
      )
      .catch(() => undefined)
      .finally(() => {
        if (this.watched.get(prompt.promptId) === entry) this.watched.delete(prompt.promptId);
      });
  }

  /** The prompt an engine job id names, on its endpoint (still configured), or a failure that is not retried. */
  private promptOf(engineJobId: string): QueuedPrompt & { clientId: string } {
    const id = decodeComfyUiJobId(engineJobId);
    const endpoint = id === undefined ? undefined : this.client.endpointOf(id.endpoint);
    if (id === undefined || endpoint === undefined)
      throw new EngineError(
        'failed',
        'the ComfyUI endpoint that ran this job is no longer configured',
        {
          retryable: false,
        },
      );
    return { endpoint, promptId: id.promptId, clientId: id.clientId };
  }

  async poll(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus> {
    const prompt = this.promptOf(engineJobId);
    const state = await this.client.state(prompt, call);
    // A prompt queued by another process (or by this one before a restart): ComfyUI sends its events to its client
    // id, so listening under that id again brings its progress back.
    if (
      (state.state === 'pending' || state.state === 'running') &&
      !this.watched.has(prompt.promptId)
    )
      this.watch({ endpoint: prompt.endpoint, promptId: prompt.promptId }, prompt.clientId);
    switch (state.state) {
      case 'pending':
        return { state: 'running', progress: 0 };
      case 'running': {
        const progress = this.watched.get(prompt.promptId)?.progress;
        return progress === undefined ? { state: 'running' } : { state: 'running', progress };
      }
      case 'lost':
        return { state: 'failed', reason: LOST, moderation: false };
      case 'failed':
        this.logger.warn({ err: state.error, promptId: prompt.promptId }, 'ComfyUI job failed');
        return { state: 'failed', reason: FAILED, moderation: false };
      case 'done': {
        const file = outputFileOf(state.outputs, this.config.outputs);
        if (file === undefined) {
          this.logger.warn(
            { promptId: prompt.promptId },
            'ComfyUI job saved no file in its output nodes',
          );
          return { state: 'failed', reason: FAILED, moderation: false };
        }
        const view = await this.client.viewStream(prompt.endpoint, file, call);
        return {
          state: 'done',
          media: { body: view.body, contentType: mediaTypeOf(file, view.contentType, job.kind) },
        };
      }
    }
  }

  /** POST /history {delete: [prompt_id]} (server.py post_history): the result is stored; ComfyUI's copy goes. */
  async cleanup(_job: JobSubmission, engineJobId: string, call: EngineCall): Promise<void> {
    const prompt = this.promptOf(engineJobId);
    this.watched.get(prompt.promptId)?.stop.abort();
    await requestEndpoint(
      prompt.endpoint,
      {
        kind: 'comfyui',
        method: 'POST',
        path: '/history',
        body: jsonBody({ delete: [prompt.promptId] }),
        accept: '*/*',
        failure: upstreamError,
        read: async (response) => {
          await response.body.dump();
        },
      },
      call,
    );
  }

  /** The job was given up (its deadline passed): the prompt leaves the queue, or is interrupted. Never throws. */
  async cancel(_job: JobSubmission, engineJobId: string): Promise<void> {
    const id = decodeComfyUiJobId(engineJobId);
    const endpoint = id === undefined ? undefined : this.client.endpointOf(id.endpoint);
    if (id === undefined || endpoint === undefined) return;
    this.watched.get(id.promptId)?.stop.abort();
    await this.client.cancel({ endpoint, promptId: id.promptId });
  }

  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.client.checkHealth(signal);
  }

  async close(): Promise<void> {
    for (const { stop } of this.watched.values()) stop.abort();
    this.watched.clear();
    await this.client.close();
  }
}
