import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { JobService } from '../../services/jobs/job-service.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import type { VideoTranscriptionService } from '../../services/video-transcription-service.ts';
import { registerCompleteRoutes } from './complete.ts';
import { registerQueueAudioRoute } from './queue-audio.ts';
import { registerQueueVideoRoute } from './queue-video.ts';
import { registerQuoteAudioRoute } from './quote-audio.ts';
import { registerQuoteVideoRoute } from './quote-video.ts';
import { registerRetrieveRoutes } from './retrieve.ts';
import { registerVideoTranscriptionRoute } from './video-transcriptions.ts';

export interface JobRouteDependencies {
  jobs: JobService;
  registry: ModelRegistry;
  /** /video/transcriptions: fetches the video under config.fetch's rules and transcribes its audio. */
  videoTranscription: VideoTranscriptionService;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
  /** config.server.publicUrl: the origin of the download links handed out (default: the request's). */
  publicUrl?: string | undefined;
}

/** The async job routes: /video/{quote,queue,retrieve,complete,transcriptions} and /audio/{quote,queue,retrieve,complete}. */
export function registerJobRoutes(app: FastifyInstance, dependencies: JobRouteDependencies): void {
  registerQuoteVideoRoute(app, dependencies);
  registerQueueVideoRoute(app, dependencies);
  registerQuoteAudioRoute(app, dependencies);
  registerQueueAudioRoute(app, dependencies);
  registerRetrieveRoutes(app, dependencies);
  registerCompleteRoutes(app, dependencies);
  registerVideoTranscriptionRoute(app, dependencies);
}
