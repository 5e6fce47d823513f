import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Automatic1111EngineConfig } from '../../config.ts';
import type {
  EngineCall,
  GeneratedImages,
  ImageEditRequest,
  ImageEngine,
  ImageGenerateRequest,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { errorCode } from '../upstream/network-error.ts';
import { failover, requestEndpoint } from '../upstream/request-with-failover.ts';
import { fieldsOf, jsonBody, readAnswer } from '../upstream/upstream-answer.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { authorizationOf, img2imgBody, txt2imgBody } from './automatic1111-request.ts';
import { errorMessageOf, imagesOf, upstreamFailure } from './automatic1111-response.ts';
import { compositeLayers } from './composite-layers.ts';
import { TaskInterrupter } from './task-interrupter.ts';

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

  constructor(
    private readonly config: Automatic1111EngineConfig,
    private readonly defaults: Automatic1111Defaults,
  ) {
    this.pool = new UpstreamPool(config, authorizationOf);
    this.interrupter = new TaskInterrupter(config.timeoutMs);
  }

  async generate(request: ImageGenerateRequest, call: EngineCall): Promise<GeneratedImages> {
    const taskId = `rialto-${randomUUID()}`;
    const { body, label } = await this.post(
      '/sdapi/v1/txt2img',
      txt2imgBody(request, this.config, taskId),
      taskId,
      call,
    );
    return imagesOf(body, request.count, label);
  }

  async edit(request: ImageEditRequest, call: EngineCall): Promise<GeneratedImages> {
    const taskId = `rialto-${randomUUID()}`;
    const init = await compositeLayers(request.images);
    const { body, label } = await this.post(
      '/sdapi/v1/img2img',
      img2imgBody(request, init, this.config, this.defaults, taskId),
      taskId,
      call,
    );
    return imagesOf(body, 1, label);
  }

  /**
   * POSTs to the first endpoint that takes the request (upstream/request-with-failover.ts) and returns its
   * parsed JSON answer; a job given up on (the client left, or it timed out) is interrupted on its endpoint.
   */
  private post(
    path: string,
    body: Record<string, unknown>,
    taskId: string,
    call: EngineCall,
  ): Promise<{ body: unknown; label: string }> {
    const exchange = {
      kind: this.kind,
      path,
      body: jsonBody(body),
      accept: 'application/json',
      failure: upstreamFailure,
      read: readAnswer,
    };
    return failover(this.pool, async (endpoint) => {
      this.running.set(endpoint, (this.running.get(endpoint) ?? 0) + 1);
      try {
        return { body: await requestEndpoint(endpoint, exchange, call), label: endpoint.label };
      } catch (error) {
        if (error instanceof EngineError && abandoned(error, call)) {
          // The WebUI may be running (or about to run) the job: stop it; the caller does not wait for that.
          const alone = (): boolean => (this.running.get(endpoint) ?? 0) === 0;
          void this.interrupter.interrupt(endpoint, taskId, alone);
        }
        throw error;
      } finally {
        this.running.set(endpoint, (this.running.get(endpoint) ?? 1) - 1);
      }
    });
  }

  /**
   * GET /sdapi/v1/sd-models on every endpoint: it answers without loading anything, needs the --api-auth
   * credentials like every /sdapi route, and lists the checkpoints, so a configured checkpoint the
   * server does not have shows up here rather than on the first request.
   */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkEach(signal, async (endpoint) => {
      const response = await endpoint.pool.request({
        method: 'GET',
        path: `${endpoint.basePath}/sdapi/v1/sd-models`,
        headers: endpoint.authorization,
        signal,
      });
      const body = await readAnswer(response);
      if (response.statusCode !== 200)
        return `${endpoint.shownUrl} answered ${response.statusCode}${errorMessageOf(body) === '' ? '' : `: ${errorMessageOf(body)}`}`;
      const checkpoint = this.config.checkpoint;
      const models = fieldsOf(checkpointList, body);
      if (checkpoint === undefined || models === undefined) return undefined;
      return models.some((model) => checkpointNames(model).includes(checkpoint))
        ? undefined
        : `${endpoint.shownUrl} has no checkpoint "${checkpoint}"`;
    });
  }

  async close(): Promise<void> {
    this.interrupter.close();
    await this.pool.close();
  }
}

/** A job given up on, which the WebUI may still run: the client left, or the answer did not come in time (a connection that timed out never reached it). */
function abandoned(error: EngineError, call: EngineCall): boolean {
  if (
    error.options.status !== undefined ||
    errorCode(error.options.cause) === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return false;
  return call.signal.aborted || error.failure === 'timeout';
}

/** modules/api/models.py SDModelItem: the fields that name a checkpoint (a field of another type counts as absent). */
const name = z.string().optional().catch(undefined);
const checkpointList = z.array(
  z.object({ title: name, model_name: name, hash: name, sha256: name, filename: name }).catch({}),
);

/**
 * The names override_settings.sd_model_checkpoint accepts for an /sdapi/v1/sd-models item (title
 * "file.safetensors [shorthash]", model_name, hash, sha256, filename): modules/sd_models.py CheckpointInfo.ids.
 */
function checkpointNames(model: z.infer<typeof checkpointList>[number]): string[] {
  const { title, model_name: modelName, hash, sha256, filename } = model;
  const names = [title, modelName, hash, sha256].filter(
    (value): value is string => value !== undefined,
  );
  if (title !== undefined) names.push(title.replace(/\s*\[[0-9a-f]+\]$/, ''));
  if (filename !== undefined) names.push(filename.split(/[\\/]/).pop() ?? filename);
  return names;
}

/** engine-factory's entry point. */
export function createAutomatic1111Engine(
  config: Automatic1111EngineConfig,
  defaults: Automatic1111Defaults,
): Automatic1111Engine {
  return new Automatic1111Engine(config, defaults);
}
