import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { queueAudioRequest } from '../../schemas/jobs-audio.ts';
import { checkQueueAudio } from '../../schemas/jobs-audio-checks.ts';
import { musicQuote } from '../../services/jobs/job-pricing.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobOwnerOf } from './job-owner.ts';
import { jobModelOf } from './job-model.ts';

/**
 * POST /audio/queue (swagger: QueueAudioRequest): checks the request against the model's music spec, reserves
 * the quote (per-thousand-character models count the prompt and the lyrics) and stores the job;
 * `{model, queue_id, status: "QUEUED"}`.
 */
export function registerQueueAudioRoute(
  app: FastifyInstance,
  { jobs, registry, auth }: JobRouteDependencies,
): void {
  app.post('/audio/queue', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(queueAudioRequest, request.body);
    const entry = jobModelOf(registry, body.model, 'music');
    checkQueueAudio(entry.config, body);
    const quote = musicQuote(entry.config, {
      ...(body.duration_seconds === undefined ? {} : { durationSeconds: body.duration_seconds }),
      characters: body.prompt.length + (body.lyrics_prompt?.length ?? 0),
    });
    const billing = request.billing;
    const { job } = await jobs.queue('music', entry, body, quote, jobOwnerOf(request), billing);
    setModelHeaders(reply, entry, entry.engine.kind);
    return { model: entry.config.id, queue_id: job.id, status: 'QUEUED' };
  });
}
