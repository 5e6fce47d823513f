import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { createVideoTranscriptionRequest } from '../../schemas/jobs-video.ts';
import { abortOnClose } from '../abort-on-close.ts';
import type { JobRouteDependencies } from './index.ts';

/**
 * POST /video/transcriptions (swagger: CreateVideoTranscriptionRequestSchema): synchronous. The video at `url`
 * is fetched, its audio transcribed by the default asr model and billed as /audio/transcriptions is (per
 * second of audio); `{transcript, lang}`, or the transcript as text/plain.
 */
export function registerVideoTranscriptionRoute(
  app: FastifyInstance,
  { videoTranscription: service, auth }: JobRouteDependencies,
): void {
  app.post('/video/transcriptions', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(createVideoTranscriptionRequest, request.body);
    const billing = request.billing;
    const outcome = await service.transcribe(body.url, abortOnClose(request, reply), billing);
    setModelHeaders(reply, outcome.entry, outcome.servedBy);
    if (body.response_format === 'text')
      return reply.type('text/plain; charset=utf-8').send(outcome.result.text);
    return { transcript: outcome.result.text, lang: outcome.language };
  });
}
