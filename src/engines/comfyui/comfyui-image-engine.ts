import { randomUUID } from 'node:crypto';
import type { ComfyUiEngineConfig } from '../../config/comfyui-engine-config.ts';
import type {
  EngineCall,
  EngineLoad,
  GeneratedImages,
  ImageEditRequest,
  ImageEngine,
  ImageGenerateRequest,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { imageFileOf } from '../openai-compatible/openai-image-form.ts';
import type { UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { ComfyUiClient, type PromptOutputs, type QueuedPrompt } from './comfyui-client.ts';
import { outputFile, type OutputFile } from './comfyui-wire.ts';
import type { ComfyUiWorkflow, FieldValue } from './comfyui-workflow.ts';

/** The most bytes one generated image may have. */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** The most images one prompt's answer is read for (Venice's variants go up to 4; a workflow may save previews too). */
const MAX_IMAGES = 16;
/** The fields an edit's images go into: the base, then the layers (multi-edit). */
const IMAGE_FIELDS = ['image', 'image_2', 'image_3'] as const;

/** What a request runs with when it names none (an edit takes no steps or CFG): the model's constraints. */
export interface ComfyUiImageDefaults {
  steps: number;
  cfgScale: number;
}

/**
 * Image generation and edits on a ComfyUI workflow (image and inpaint models). A request fills the workflow
 * (comfyui-workflow.ts), uploads its images to the endpoint with the shortest queue, queues the prompt there, and
 * waits for it (WebSocket, /history) at most `timeoutMs`; the saved images of the output nodes are fetched from
 * /view. A client that leaves, or a timeout, cancels the prompt on ComfyUI (dequeued or interrupted).
 */
export class ComfyUiImageEngine implements ImageEngine {
  readonly kind = 'comfyui';
  readonly modality = 'image';
  private readonly client: ComfyUiClient;

  constructor(
    private readonly config: ComfyUiEngineConfig,
    private readonly workflow: ComfyUiWorkflow,
    private readonly defaults: ComfyUiImageDefaults,
  ) {
    this.client = new ComfyUiClient(config, config.pollIntervalMs);
  }

  async generate(request: ImageGenerateRequest, call: EngineCall): Promise<GeneratedImages> {
    const values = (seed: number, count: number): Record<string, FieldValue | undefined> => ({
      prompt: request.prompt,
      negative_prompt: request.negativePrompt,
      seed,
      width: request.width,
      height: request.height,
      steps: request.steps,
      cfg: request.cfgScale,
      count,
    });
    // A batch where the workflow maps `count`; else one prompt per image, seeds following on.
    if (this.workflow.maps('count')) {
      const images = await this.run(
        async () => this.workflow.fill(values(request.seed, request.count)),
        call,
      );
      return { images, seed: request.seed };
    }
    const images: Buffer[] = [];
    for (let index = 0; index < request.count; index += 1)
      images.push(
        ...(await this.run(async () => this.workflow.fill(values(request.seed + index, 1)), call)),
      );
    return { images, seed: request.seed };
  }

  async edit(request: ImageEditRequest, call: EngineCall): Promise<GeneratedImages> {
    const fields = IMAGE_FIELDS.filter((field) => this.workflow.maps(field));
    if (request.images.length > fields.length)
      throw new EngineError(
        'bad_request',
        `this model takes at most ${fields.length} image${fields.length === 1 ? '' : 's'}`,
      );
    const build = async (endpoint: UpstreamEndpoint) => {
      const values: Record<string, FieldValue | undefined> = {
        prompt: request.prompt,
        seed: request.seed,
        width: request.width,
        height: request.height,
        steps: this.defaults.steps,
        cfg: this.defaults.cfgScale,
      };
      for (const [index, bytes] of request.images.entries()) {
        const file = imageFileOf(bytes, index);
        values[fields[index]!] = await this.client.upload(
          endpoint,
          { ...file, filename: `rialto-${randomUUID()}-${file.filename}` },
          call,
        );
      }
      return this.workflow.fill(values, fields.slice(request.images.length));
    };
    return { images: await this.run(build, call), seed: request.seed };
  }

  /** Queues the workflow, waits for it, fetches its images; cancels it on ComfyUI when given up on. */
  private async run(
    build: (endpoint: UpstreamEndpoint) => Promise<ReturnType<ComfyUiWorkflow['fill']>>,
    call: EngineCall,
  ): Promise<Buffer[]> {
    const deadline = Date.now() + this.config.timeoutMs;
    const clientId = randomUUID();
    const queued = await this.client.submit(build, call, clientId);
    let outputs: PromptOutputs;
    try {
      outputs = await this.client.wait(queued, clientId, call, { deadline });
    } catch (error) {
      if (call.signal.aborted || (error instanceof EngineError && error.failure === 'timeout'))
        void this.client.cancel(queued);
      throw error;
    }
    return this.images(queued, outputs, call);
  }

  /** The image files of the output nodes, in order, fetched from /view. */
  private async images(
    queued: QueuedPrompt,
    outputs: PromptOutputs,
    call: EngineCall,
  ): Promise<Buffer[]> {
    const files: OutputFile[] = [];
    for (const node of this.workflow.outputs) {
      const parsed = outputFile.array().safeParse(outputs[node]?.images);
      if (parsed.success) files.push(...parsed.data);
    }
    if (files.length === 0)
      throw new EngineError(
        'failed',
        `ComfyUI ${queued.endpoint.label} saved no image in the output nodes`,
        {
          status: 500,
          retryable: false,
        },
      );
    return Promise.all(
      files
        .slice(0, MAX_IMAGES)
        .map((file) => this.client.view(queued.endpoint, file, call, MAX_IMAGE_BYTES)),
    );
  }

  /** Requests open on the endpoints' connections (undici's pool stats), as every upstream engine reports it. */
  load(): EngineLoad {
    return this.client.pool.load();
  }

  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.client.checkHealth(signal);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
