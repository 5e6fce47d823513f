import { randomUUID } from 'node:crypto';
import type { Automatic1111EngineConfig } from '../../config.ts';
import type { EngineCall, GeneratedImages, ImageEditRequest, ImageEngine, ImageGenerateRequest } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../openai-compatible/upstream-pool.ts';
import { authorizationOf, img2imgBody, txt2imgBody } from './automatic1111-request.ts';
import { errorMessageOf, imagesOf, upstreamFailure } from './automatic1111-response.ts';
import { compositeLayers } from './composite-layers.ts';
import { TaskInterrupter } from './task-interrupter.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** What an edit runs with, since ImageEditRequest carries no steps or CFG scale: the model's defaults. */
export interface Automatic1111Defaults {
  steps: number;
  cfgScale: number;
}

/**
 * An AUTOMATIC1111 / Forge WebUI started with --api (modules/api/api.py). Generation is POST
 * /sdapi/v1/txt2img, edits POST /sdapi/v1/img2img; one request makes all the variants (batch_size). Requests
 * go to the endpoints in the pool's order (healthy first, weighted round robin): a refused connection, 429,
 * 503 or 5xx moves on to the next endpoint. The pool's timeoutMs bounds the wait for the answer (A1111
 * answers when the images are done); a request that times out or whose client leaves has its job
 * interrupted on the WebUI (TaskInterrupter), so the GPU is not kept busy for nobody.
 */
export class Automatic1111Engine implements ImageEngine {
  readonly kind = 'automatic1111';
  readonly modality = 'image';
  private readonly pool: UpstreamPool;
  private readonly interrupter: TaskInterrupter;
  /** Jobs this engine has running on each endpoint. */
  private readonly running = new Map<UpstreamEndpoint, number>();

  constructor(private readonly config: Automatic1111EngineConfig, private readonly defaults: Automatic1111Defaults) {
    this.pool = new UpstreamPool(config);
    this.interrupter = new TaskInterrupter((endpoint) => authorizationOf(endpoint.apiKey), config.timeoutMs);
  }

  async generate(request: ImageGenerateRequest, call: EngineCall): Promise<GeneratedImages> {
    const taskId = `rialto-${randomUUID()}`;
    const { body, label } = await this.post('/sdapi/v1/txt2img', txt2imgBody(request, this.config, taskId), taskId, call);
    return imagesOf(body, request.count, label);
  }

  async edit(request: ImageEditRequest, call: EngineCall): Promise<GeneratedImages> {
    const taskId = `rialto-${randomUUID()}`;
    const init = await compositeLayers(request.images);
    const { body, label } = await this.post('/sdapi/v1/img2img', img2imgBody(request, init, this.config, this.defaults, taskId), taskId, call);
    return imagesOf(body, 1, label);
  }

  /** POSTs to the first endpoint that takes the request and returns its parsed JSON answer. */
  private async post(path: string, body: Record<string, unknown>, taskId: string, call: EngineCall): Promise<{ body: unknown; label: string }> {
    let lastError: EngineError | undefined;
    const payload = JSON.stringify(body);
    for (const endpoint of this.pool.order()) {
      this.running.set(endpoint, (this.running.get(endpoint) ?? 0) + 1);
      let status: number;
      let answer: unknown;
      try {
        const response = await endpoint.pool.request({
          method: 'POST', path: `${endpoint.basePath}${path}`, body: payload, signal: call.signal,
          headers: { 'content-type': 'application/json', accept: 'application/json', ...authorizationOf(endpoint.apiKey) },
        });
        status = response.statusCode;
        const text = await response.body.text();
        answer = parseJson(text);
      } catch (error) {
        const failure = this.networkFailure(error, endpoint, taskId, call);
        if (!failure.retryable) throw failure;
        lastError = failure;
        continue;
      } finally {
        this.running.set(endpoint, (this.running.get(endpoint) ?? 1) - 1);
      }
      if (status >= 200 && status < 300) {
        endpoint.succeeded();
        call.servedBy = `${this.kind}/${endpoint.label}`;
        return { body: answer, label: endpoint.label };
      }
      lastError = upstreamFailure(status, answer, endpoint.label);
      if (!lastError.retryable) throw lastError;
      endpoint.failed(Date.now());
    }
    throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
  }

  /** A request that did not get an answer: the client left, it timed out, or the endpoint is unreachable. */
  private networkFailure(error: unknown, endpoint: UpstreamEndpoint, taskId: string, call: EngineCall): EngineError {
    const code = (error as { code?: string }).code ?? '';
    const abandoned = call.signal.aborted || TIMEOUT_CODES.has(code);
    if (abandoned && code !== 'UND_ERR_CONNECT_TIMEOUT') {
      // The WebUI may be running (or about to run) the job: stop it; the caller does not wait for that.
      const alone = (): boolean => (this.running.get(endpoint) ?? 0) === 0;
      void this.interrupter.interrupt(endpoint, taskId, alone);
    }
    if (call.signal.aborted) return new EngineError('failed', 'request aborted by the client', { cause: error, retryable: false });
    if (TIMEOUT_CODES.has(code)) return new EngineError('timeout', `upstream ${endpoint.label} timed out (${code})`, { cause: error, retryable: false });
    endpoint.failed(Date.now());
    return new EngineError('offline', `upstream ${endpoint.label} unreachable: ${(error as Error).message}`, { cause: error });
  }

  /**
   * GET /sdapi/v1/sd-models on every endpoint: it answers without loading anything, needs the --api-auth
   * credentials like every /sdapi route, and lists the checkpoints, so a configured checkpoint the
   * server does not have shows up here rather than on the first request.
   */
  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    const results = await Promise.all(this.pool.endpoints.map(async (endpoint) => {
      try {
        const response = await endpoint.pool.request({ method: 'GET', path: `${endpoint.basePath}/sdapi/v1/sd-models`, headers: authorizationOf(endpoint.apiKey), signal });
        const body = parseJson(await response.body.text());
        if (response.statusCode !== 200) return `${endpoint.shownUrl} answered ${response.statusCode}${errorMessageOf(body) === '' ? '' : `: ${errorMessageOf(body)}`}`;
        const checkpoint = this.config.checkpoint;
        if (checkpoint === undefined || !Array.isArray(body)) return undefined;
        return body.some((model: unknown) => checkpointNames(model).includes(checkpoint)) ? undefined : `${endpoint.shownUrl} has no checkpoint "${checkpoint}"`;
      } catch (error) {
        return `${endpoint.shownUrl} is not reachable (${(error as Error).message})`;
      }
    }));
    const problems = results.filter((problem) => problem !== undefined);
    return { healthy: problems.length === 0, detail: problems.length === 0 ? 'every endpoint answers' : problems.join('; ') };
  }

  async close(): Promise<void> {
    this.interrupter.close();
    await this.pool.close();
  }
}

/**
 * The names override_settings.sd_model_checkpoint accepts for an /sdapi/v1/sd-models item (SDModelItem:
 * title "file.safetensors [shorthash]", model_name, hash, sha256, filename): modules/sd_models.py
 * CheckpointInfo.ids.
 */
function checkpointNames(model: unknown): string[] {
  if (typeof model !== 'object' || model === null) return [];
  const { title, model_name: modelName, hash, sha256, filename } = model as Record<string, unknown>;
  const names = [title, modelName, hash, sha256].filter((name): name is string => typeof name === 'string');
  if (typeof title === 'string') names.push(title.replace(/\s*\[[0-9a-f]+\]$/, ''));
  if (typeof filename === 'string') names.push(filename.split(/[\\/]/).pop() ?? filename);
  return names;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** engine-factory's entry point. */
export function createAutomatic1111Engine(config: Automatic1111EngineConfig, defaults: Automatic1111Defaults): Automatic1111Engine {
  return new Automatic1111Engine(config, defaults);
}
