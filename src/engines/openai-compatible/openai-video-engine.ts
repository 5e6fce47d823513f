import type { ModelConfig, OpenAiCompatibleEngineConfig } from '../../config.ts';
import type { EngineCall, JobEngine, JobMedia, JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { videoCreateForm } from './openai-video-form.ts';
import { SORA_SECONDS, SORA_SIZES, videoSecondsOf, videoSizeOf } from './openai-video-request.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import {
  createOnUpstream,
  isModerationCode,
  readVideo,
  requestVideoApi,
} from './openai-video-upstream.ts';

/** What a Venice request becomes on a `/videos` server (documented in openai-video-request.ts and -form.ts). */
export function videoSettingsOf(
  job: JobSubmission,
  constraints: ModelConfig['videoConstraints'],
  config: OpenAiCompatibleEngineConfig,
): { seconds: number | undefined; width: number; height: number } {
  const { duration, aspect_ratio: aspectRatio, resolution } = job.request;
  const size = videoSizeOf(aspectRatio, resolution, constraints, config.videoSizes ?? SORA_SIZES);
  return {
    seconds: videoSecondsOf(duration, constraints, config.videoSeconds ?? SORA_SECONDS),
    ...size,
  };
}

/**
 * Video jobs on an OpenAI-compatible `/v1/videos` server (OpenAI's Sora 2 API, and the servers that copy
 * it; openai-node resources/videos.d.ts): POST /videos creates a Video, GET /videos/{id} reports its status
 * (queued, in_progress with progress 0..100, completed, failed with {code, message}), GET
 * /videos/{id}/content streams the MP4, DELETE /videos/{id} frees it. A video lives on the endpoint that
 * created it, so the engine job id names that endpoint: `<endpoint label>/<video id>`, both URI-encoded;
 * the engine keeps nothing else, and any worker can poll a job from its id alone.
 */
export class OpenAiVideoEngine implements JobEngine {
  readonly kind = 'openai-compatible';
  readonly modality = 'job';
  private readonly pool: UpstreamPool;

  constructor(
    private readonly config: OpenAiCompatibleEngineConfig,
    private readonly constraints: ModelConfig['videoConstraints'],
  ) {
    this.pool = new UpstreamPool(config);
  }

  async submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }> {
    if (job.kind !== 'video')
      throw new EngineError('bad_request', 'an OpenAI-compatible upstream runs video jobs only', {
        retryable: false,
      });
    const body = await videoCreateForm(job, videoSettingsOf(job, this.constraints, this.config));
    const { endpoint, video } = await createOnUpstream(this.pool, body, call);
    if (video.id === '')
      throw new EngineError('failed', `upstream ${endpoint.label} created a video without an id`, {
        retryable: false,
      });
    return { engineJobId: `${encodeURIComponent(endpoint.label)}/${encodeURIComponent(video.id)}` };
  }

  /** The endpoint and video of an engine job id; a single endpoint is used even if it was renamed since. */
  private locate(engineJobId: string): { endpoint: UpstreamEndpoint; path: string } {
    const slash = engineJobId.indexOf('/');
    const label = decodeURIComponent(engineJobId.slice(0, Math.max(0, slash)));
    const videoId = engineJobId.slice(slash + 1);
    const endpoint =
      this.pool.endpoints.find((candidate) => candidate.label === label) ??
      (this.pool.endpoints.length === 1 ? this.pool.endpoints[0] : undefined);
    if (slash < 0 || endpoint === undefined)
      throw new EngineError(
        'failed',
        `the upstream endpoint ${label} that holds video ${videoId} is no longer configured`,
        { retryable: false },
      );
    return { endpoint, path: `/videos/${videoId}` };
  }

  async poll(_job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus> {
    const { endpoint, path } = this.locate(engineJobId);
    const video = await readVideo(
      await requestVideoApi(endpoint, { method: 'GET', path }, call),
      endpoint.label,
      call,
    );
    switch (video.status) {
      case 'queued':
        return { state: 'running', progress: 0 };
      case 'in_progress': {
        return video.progress === undefined
          ? { state: 'running' }
          : { state: 'running', progress: Math.min(100, Math.max(0, video.progress)) / 100 };
      }
      case 'completed':
        return { state: 'done', media: await this.content(endpoint, path, call) };
      case 'failed': {
        const error = video.error ?? {};
        const reason =
          error.message !== undefined && error.message !== ''
            ? error.message
            : `The upstream failed the video${error.code === undefined ? '' : ` (${error.code})`}.`;
        return { state: 'failed', reason, moderation: isModerationCode(error.code) };
      }
      default:
        throw new EngineError(
          'failed',
          `upstream ${endpoint.label} reported an unknown video status ${JSON.stringify(video.status)}`,
          { retryable: false },
        );
    }
  }

  /** GET /videos/{id}/content: the MP4 as it arrives (the SDK's downloadContent asks with Accept: application/binary). */
  private async content(
    endpoint: UpstreamEndpoint,
    path: string,
    call: EngineCall,
  ): Promise<JobMedia> {
    const response = await requestVideoApi(
      endpoint,
      { method: 'GET', path: `${path}/content?variant=video`, accept: 'application/binary' },
      call,
    );
    const header = response.headers['content-type'];
    const type = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim() ?? '';
    // The API serves MP4; servers that label it generically (application/octet-stream) still send an MP4.
    return { body: response.body, contentType: type.startsWith('video/') ? type : 'video/mp4' };
  }

  /** DELETE /videos/{id}; a video already gone (404) is fine. */
  async cleanup(_job: JobSubmission, engineJobId: string, call: EngineCall): Promise<void> {
    const { endpoint, path } = this.locate(engineJobId);
    try {
      const response = await requestVideoApi(endpoint, { method: 'DELETE', path }, call);
      await response.body.dump();
    } catch (error) {
      if (error instanceof EngineError && error.options.status === 404) return;
      throw error;
    }
  }

  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkModels(signal);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
