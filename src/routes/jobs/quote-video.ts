import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { quoteVideoRequest } from '../../schemas/jobs-video.ts';
import { checkQuoteVideo } from '../../schemas/jobs-video-checks.ts';
import { videoQuote } from '../../services/jobs/job-pricing.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobModelOf } from './job-model.ts';

/**
 * POST /video/quote (swagger: QuoteVideoRequest): `{quote}` in USD, the amount /video/queue reserves for the same
 * model, duration and resolution. Public, like /models, which shows the same prices: the swagger lists no 401
 * for it (INVENTORY §12 #9 takes the same choice for /audio/quote).
 */
export function registerQuoteVideoRoute(
  app: FastifyInstance,
  { registry }: JobRouteDependencies,
): void {
  app.post('/video/quote', async (request) => {
    const body = parseOrThrow(quoteVideoRequest, request.body);
    const entry = jobModelOf(registry, body.model, 'video');
    checkQuoteVideo(entry.config, body);
    return {
      quote: videoQuote(entry.config, {
        // An upscale model's duration is the video's: priced as the longest the model lists (job-pricing.ts).
        ...(body.duration === undefined || entry.config.videoUpscale
          ? {}
          : { duration: body.duration }),
        ...(body.resolution === undefined ? {} : { resolution: body.resolution }),
      }).usd,
    };
  });
}
