import { randomUUID } from 'node:crypto';
import type { ComfyUiEngineConfig } from '../../config/comfyui-engine-config.ts';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { requestEndpoint } from '../upstream/request-with-failover.ts';
import { fieldsOf, jsonBody, readAnswer } from '../upstream/upstream-answer.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { promptFailure, unexpectedBody } from './comfyui-errors.ts';
import { comfyExchange, drain } from './comfyui-exchange.ts';
import { type InputFile, uploadInput, viewOutput, viewOutputStream } from './comfyui-files.ts';
import { PromptSocket } from './comfyui-socket.ts';
import {
  promptState,
  watchPrompt,
  type PromptState,
  type ProgressListener,
} from './comfyui-watch.ts';
import { type ApiWorkflow, type OutputFile, promptAnswer, queueAnswer } from './comfyui-wire.ts';

export type { PromptState, ProgressListener } from './comfyui-watch.ts';
export type { ApiWorkflow, OutputFile } from './comfyui-wire.ts';
export { type InputFile, MAX_OUTPUT_BYTES } from './comfyui-files.ts';

/** A prompt queued on one ComfyUI: where, and under which ids (what a job stores to find it again). */
export interface QueuedPrompt {
  endpoint: UpstreamEndpoint;
  promptId: string;
  /**
   * The WebSocket opened before the prompt was queued (absent for a prompt found again by its id). `wait` closes it
   * when it settles; a caller that never waits must `socket?.close()` itself.
   */
  socket?: PromptSocket;
}

/** A finished prompt's `ui` outputs by node id (SaveImage's {images: [...]}, SaveVideo's, SaveAudio's …). */
export type PromptOutputs = Record<string, Record<string, unknown>>;

/** The endpoints' options this client reads (the comfyui engine section). */
export type ComfyUiConnection = Pick<
  ComfyUiEngineConfig,
  'endpoints' | 'timeoutMs' | 'maxConnections'
>;

/** How long /queue may take when endpoints are compared (a stuck one goes last). */
const QUEUE_PROBE_MS = 3000;

/**
 * ComfyUI's HTTP + WebSocket protocol (server.py): POST /prompt, progress over /ws?clientId=, /history as the
 * fallback and the after-restart view, /view for outputs, /upload/image for inputs, /interrupt and
 * /queue {delete} to cancel. Every call goes through the upstream layer (upstream/request-with-failover.ts), so
 * timeouts, ejection of failing endpoints and the error mapping are the same as every upstream engine's.
 * Stateless between calls: a prompt is found again from its endpoint's identity and its prompt id alone.
 */
export class ComfyUiClient {
  readonly pool: UpstreamPool;

  constructor(
    readonly connection: ComfyUiConnection,
    /** How often /history is polled while the WebSocket is down (and, more slowly, while it is up). */
    private readonly pollMs = 1000,
  ) {
    this.pool = new UpstreamPool(connection);
  }

  /** The endpoint whose `identity` (a stored job's) is this one, if still configured. */
  endpointOf(identity: string): UpstreamEndpoint | undefined {
    return this.pool.endpoints.find((endpoint) => endpoint.identity === identity);
  }

  /**
   * Endpoints to submit to, shortest queue (running + pending) first; the pool's order (healthy first,
   * weighted round robin) breaks ties, and an endpoint whose /queue fails goes after those that answered.
   */
  async byQueueLength(call: EngineCall): Promise<UpstreamEndpoint[]> {
    const order = this.pool.order();
    if (order.length === 1) return order;
    const lengths = await Promise.all(order.map((endpoint) => this.queueLength(endpoint, call)));
    const rank = (index: number): number => lengths[index] ?? Number.MAX_SAFE_INTEGER;
    return order
      .map((endpoint, index) => ({ endpoint, index }))
      .sort((a, b) => rank(a.index) - rank(b.index) || a.index - b.index)
      .map(({ endpoint }) => endpoint);
  }

  /** Prompts running and waiting on the endpoint (GET /queue); undefined when it does not answer. */
  async queueLength(endpoint: UpstreamEndpoint, call: EngineCall): Promise<number | undefined> {
    const signal = AbortSignal.any([call.signal, AbortSignal.timeout(QUEUE_PROBE_MS)]);
    const queue = await this.queue(endpoint, { signal }).catch(() => undefined);
    return queue === undefined ? undefined : queue.running.length + queue.pending.length;
  }

  /** GET /queue: the prompt ids running and pending. */
  async queue(
    endpoint: UpstreamEndpoint,
    call: EngineCall,
  ): Promise<{ running: string[]; pending: string[] }> {
    const answer = await requestEndpoint(
      endpoint,
      comfyExchange('GET', '/queue', undefined, async (response) => {
        const queue = fieldsOf(queueAnswer, await readAnswer(response));
        if (queue === undefined) throw unexpectedBody(endpoint.label, '/queue answer');
        return queue;
      }),
      call,
    );
    return {
      running: answer.queue_running.map((item) => item[1]),
      pending: answer.queue_pending.map((item) => item[1]),
    };
  }

  /**
   * Builds the workflow for an endpoint (`build` uploads the inputs there first) and queues it: on the endpoint
   * with the shortest queue, moving on to the next when one is down or overloaded. A refused workflow
   * (node_errors) is not retried elsewhere. The client id is the one the WebSocket of `watch` listens with.
   */
  async submit(
    build: (endpoint: UpstreamEndpoint) => Promise<ApiWorkflow>,
    call: EngineCall,
    clientId: string = randomUUID(),
  ): Promise<QueuedPrompt> {
    let lastError: EngineError | undefined;
    for (const endpoint of await this.byQueueLength(call)) {
      const socket = new PromptSocket(endpoint, clientId);
      // Servers since 2025 take the prompt id from the client; older ones make their own and answer it.
      const promptId = randomUUID();
      try {
        const prompt = await build(endpoint);
        await socket.ready();
        const body = { prompt, client_id: clientId, prompt_id: promptId };
        const answer = await requestEndpoint(
          endpoint,
          {
            ...comfyExchange('POST', '/prompt', jsonBody(body), async (response) => {
              const queued = fieldsOf(promptAnswer, await readAnswer(response));
              if (queued === undefined) throw unexpectedBody(endpoint.label, '/prompt answer');
              return queued;
            }),
            failure: promptFailure,
          },
          call,
        );
        return { endpoint, promptId: answer.prompt_id, socket };
      } catch (error) {
        socket.close();
        // The client left while /prompt was on its way: the prompt may be queued under the id sent.
        if (call.signal.aborted) void this.cancel({ endpoint, promptId });
        if (!(error instanceof EngineError) || !error.retryable) throw error;
        lastError = error;
      }
    }
    throw lastError ?? new EngineError('offline', 'no ComfyUI endpoint configured');
  }

  /**
   * Waits for the prompt to finish (WebSocket events, /history when the socket drops) and returns its outputs;
   * `deadline` (ms since the epoch) bounds the wait (EngineError timeout). Does not cancel anything itself.
   */
  wait(
    prompt: QueuedPrompt,
    clientId: string,
    call: EngineCall,
    options: { deadline: number; onProgress?: ProgressListener },
  ): Promise<PromptOutputs> {
    return watchPrompt(this, prompt, clientId, call, { ...options, pollMs: this.pollMs });
  }

  /** Where the prompt stands now, from /history and /queue alone (a job polled after a restart). */
  state(prompt: QueuedPrompt, call: EngineCall): Promise<PromptState> {
    return promptState(this, prompt, call);
  }

  /** GET /history/{prompt_id}: the parsed body ({} while the prompt has not finished). */
  history(endpoint: UpstreamEndpoint, promptId: string, call: EngineCall): Promise<unknown> {
    return requestEndpoint(
      endpoint,
      comfyExchange('GET', `/history/${encodeURIComponent(promptId)}`, undefined, readAnswer),
      call,
    );
  }

  /** POST /upload/image: the name a LoadImage node takes (comfyui-files.ts). */
  upload(endpoint: UpstreamEndpoint, file: InputFile, call: EngineCall): Promise<string> {
    return uploadInput(endpoint, file, call);
  }

  /** GET /view for one output file, its body unread, with its Content-Type (comfyui-files.ts). */
  viewStream(endpoint: UpstreamEndpoint, file: OutputFile, call: EngineCall) {
    return viewOutputStream(endpoint, file, call);
  }

  /** An output file's bytes, at most `maxBytes` (comfyui-files.ts). */
  view(endpoint: UpstreamEndpoint, file: OutputFile, call: EngineCall, maxBytes?: number) {
    return viewOutput(endpoint, file, call, maxBytes);
  }

  /**
   * Stops the prompt, never throws: POST /queue {delete} takes it off the queue while it waits, and POST
   * /interrupt {prompt_id} stops it while it runs. /interrupt is sent only when /queue shows this prompt running,
   * since servers before 2025 ignore the prompt id and would stop whichever prompt runs.
   */
  async cancel(prompt: QueuedPrompt): Promise<void> {
    const call = { signal: AbortSignal.timeout(QUEUE_PROBE_MS * 2) };
    const { endpoint, promptId } = prompt;
    const send = (path: string, body: unknown): Promise<void> =>
      requestEndpoint(endpoint, comfyExchange('POST', path, jsonBody(body), drain), call).catch(
        () => undefined,
      );
    await send('/queue', { delete: [promptId] });
    const queue = await this.queue(endpoint, call).catch(() => undefined);
    if (queue?.running.includes(promptId)) await send('/interrupt', { prompt_id: promptId });
  }

  /** GET /system_stats on every endpoint: healthy when each answers 200 with its system section. */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkEach(signal, async (endpoint) => {
      const response = await endpoint.pool.request({
        method: 'GET',
        path: `${endpoint.basePath}/system_stats`,
        headers: endpoint.authorization,
        signal,
      });
      const body = await readAnswer(response);
      if (response.statusCode !== 200)
        return `${endpoint.shownUrl} answered ${response.statusCode}`;
      return typeof body === 'object' && body !== null && 'system' in body
        ? undefined
        : `${endpoint.shownUrl} is not a ComfyUI (no system_stats)`;
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
