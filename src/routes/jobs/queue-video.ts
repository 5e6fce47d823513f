import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { queueVideoRequest } from '../../schemas/jobs-video.ts';
import { checkQueueVideo } from '../../schemas/jobs-video-checks.ts';
import { videoQuote } from '../../services/jobs/job-pricing.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobOwnerOf } from './job-owner.ts';
import { DOWNLOAD_PATH } from './download.ts';
import { jobModelOf } from './job-model.ts';

/**
 * POST /video/queue (swagger: QueueVideoRequest): checks the request against the model, reserves the quote
 * (402 before anything runs when the balance cannot cover it) and stores the job for the workers;
 * `{model, queue_id}`, and `download_url` for models that deliver by link (download.ts). The model is answered
 * as its id, which retrieve and complete then take.
 */
export function registerQueueVideoRoute(
  app: FastifyInstance,
  { jobs, registry, auth, publicUrl }: JobRouteDependencies,
): void {
  app.post('/video/queue', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(queueVideoRequest, request.body);
    const entry = jobModelOf(registry, body.model, 'video');
    checkQueueVideo(entry.config, body);
    const quote = videoQuote(entry.config, {
      // An upscale model's duration is the video's: priced as the longest the model lists (job-pricing.ts).
      ...(body.duration === undefined || entry.config.videoUpscale
        ? {}
        : { duration: body.duration }),
      ...(body.resolution === undefined ? {} : { resolution: body.resolution }),
    });
    const billing = request.billing;
    const { job, downloadToken } = await jobs.queue(
      'video',
      entry,
      body,
      quote,
      jobOwnerOf(request),
      billing,
    );
    setModelHeaders(reply, entry, entry.engine.kind);
    if (downloadToken === undefined) return { model: entry.config.id, queue_id: job.id };
    return {
      model: entry.config.id,
      queue_id: job.id,
      download_url: `${publicUrl ?? `${request.protocol}://${request.host}`}${DOWNLOAD_PATH}/${downloadToken}`,
    };
  });
}
