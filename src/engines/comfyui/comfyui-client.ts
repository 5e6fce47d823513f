import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { ComfyUiEngineConfig } from '../../config/comfyui-engine-config.ts';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { multipartForm } from '../openai-compatible/openai-image-form.ts';
import {
  requestEndpoint,
  unread,
  type UpstreamExchange,
} from '../upstream/request-with-failover.ts';
import { fieldsOf, jsonBody, readAnswer, type UpstreamBody } from '../upstream/upstream-answer.ts';
import { upstreamError } from '../upstream/upstream-errors.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { promptFailure, unexpectedBody } from './comfyui-errors.ts';
import { PromptSocket } from './comfyui-socket.ts';
import {
  promptState,
  watchPrompt,
  type PromptState,
  type ProgressListener,
} from './comfyui-watch.ts';
import {
  type ApiWorkflow,
  type OutputFile,
  promptAnswer,
  queueAnswer,
  uploadAnswer,
} from './comfyui-wire.ts';

export type { PromptState, ProgressListener } from './comfyui-watch.ts';
export type { ApiWorkflow, OutputFile } from './comfyui-wire.ts';

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

/** A media file to upload for a LoadImage-style node (images, and video or audio for the loaders that read `input/`). */
export interface InputFile {
  bytes: Buffer;
  filename: string;
  contentType: string;
}

/** The most bytes one output file may have (a 4K image, a minute of video), read with this cap. */
export const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
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
      this.exchange('GET', '/queue', undefined, async (response) => {
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
            ...this.exchange('POST', '/prompt', jsonBody(body), async (response) => {
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
      this.exchange('GET', `/history/${encodeURIComponent(promptId)}`, undefined, readAnswer),
      call,
    );
  }

  /** POST /upload/image (multipart `image`, overwrite): the name a LoadImage node takes ("subfolder/name"). */
  async upload(endpoint: UpstreamEndpoint, file: InputFile, call: EngineCall): Promise<string> {
    const form = multipartForm([
      ['image', file],
      ['type', 'input'],
      ['overwrite', 'true'],
    ]);
    const uploaded = await requestEndpoint(
      endpoint,
      this.exchange('POST', '/upload/image', form, async (response) => {
        const answer = fieldsOf(uploadAnswer, await readAnswer(response));
        if (answer === undefined) throw unexpectedBody(endpoint.label, '/upload/image answer');
        return answer;
      }),
      call,
    );
    return uploaded.subfolder === '' ? uploaded.name : `${uploaded.subfolder}/${uploaded.name}`;
  }

  /** GET /view for one output file, its body unread (a video streams on), with its Content-Type. */
  async viewStream(
    endpoint: UpstreamEndpoint,
    file: OutputFile,
    call: EngineCall,
  ): Promise<{ body: Dispatcher.ResponseData['body']; contentType: string }> {
    const query = new URLSearchParams({
      filename: file.filename,
      subfolder: file.subfolder,
      type: file.type,
    });
    const response = await requestEndpoint(
      endpoint,
      this.exchange('GET', `/view?${query.toString()}`, undefined, unread),
      call,
    );
    const type = response.headers['content-type'];
    return {
      body: response.body,
      contentType: typeof type === 'string' ? type : 'application/octet-stream',
    };
  }

  /** An output file's bytes, at most `maxBytes` (more is the upstream's failure, not a crash). */
  async view(
    endpoint: UpstreamEndpoint,
    file: OutputFile,
    call: EngineCall,
    maxBytes = MAX_OUTPUT_BYTES,
  ): Promise<Buffer> {
    const { body } = await this.viewStream(endpoint, file, call);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        body.destroy();
        throw unexpectedBody(endpoint.label, `output larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
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
      requestEndpoint(endpoint, this.exchange('POST', path, jsonBody(body), drain), call).catch(
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

  private exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    body: UpstreamBody | undefined,
    read: UpstreamExchange<T>['read'],
  ): UpstreamExchange<T> {
    return {
      kind: 'comfyui',
      method,
      path,
      ...(body === undefined ? {} : { body }),
      accept: '*/*',
      failure: upstreamError,
      read,
    };
  }
}

async function drain(response: Dispatcher.ResponseData): Promise<void> {
  await response.body.dump();
}
