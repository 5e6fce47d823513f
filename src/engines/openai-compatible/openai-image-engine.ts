import type { OpenAiCompatibleEngineConfig } from '../../config.ts';
import type {
  EngineCall,
  GeneratedImages,
  ImageEditRequest,
  ImageEngine,
  ImageGenerateRequest,
} from '../engine.ts';
import { editForm, generationBody, localEditBody, sizeFor } from './openai-image-request.ts';
import { imagesOf } from './openai-image-response.ts';
import { postToUpstream } from './openai-image-upstream.ts';
import { UpstreamPool } from '../upstream/upstream-pool.ts';

/**
 * Image generation (image models) and prompt edits (inpaint models) on any server with OpenAI's images API:
 * OpenAI itself, LocalAI, and the servers that copy the API. Generation is POST /images/generations; an edit
 * is multipart POST /images/edits (`imageApi: openai`) or img2img on /images/generations (`imageApi: localai`,
 * which has no /images/edits); openai-image-request.ts has what each dialect is sent. Answers carry base64
 * images or URLs, which are downloaded. Requests go through the shared upstream pool (healthy endpoints
 * first, weighted round robin, failover on refused connections, 429, 503 and 5xx); the client's abort
 * cancels the upstream request. A content-policy refusal is EngineError `content_policy`.
 */
export class OpenAiImageEngine implements ImageEngine {
  readonly kind = 'openai-compatible';
  readonly modality = 'image';
  private readonly pool: UpstreamPool;

  constructor(private readonly config: OpenAiCompatibleEngineConfig) {
    this.pool = new UpstreamPool(config);
  }

  async generate(request: ImageGenerateRequest, call: EngineCall): Promise<GeneratedImages> {
    const size = sizeFor(request.width, request.height, this.config.imageSizes);
    const answer = await postToUpstream(
      this.pool,
      '/images/generations',
      generationBody(request, this.config.imageApi, size),
      call,
    );
    const images = await imagesOf(answer, call, this.config.timeoutMs);
    // Only LocalAI is sent the seed; OpenAI's images API takes none.
    return this.config.imageApi === 'localai' ? { images, seed: request.seed } : { images };
  }

  async edit(request: ImageEditRequest, call: EngineCall): Promise<GeneratedImages> {
    const size = sizeFor(request.width, request.height, this.config.imageSizes);
    const answer =
      this.config.imageApi === 'localai'
        ? await postToUpstream(this.pool, '/images/generations', localEditBody(request, size), call)
        : await postToUpstream(this.pool, '/images/edits', editForm(request, size), call);
    const images = await imagesOf(answer, call, this.config.timeoutMs);
    return this.config.imageApi === 'localai' ? { images, seed: request.seed } : { images };
  }

  /** GET <endpoint>/models on every endpoint. */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkModels(signal);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
