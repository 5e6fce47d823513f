import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { retrieveAudioRequest } from '../../schemas/jobs-audio.ts';
import { retrieveVideoRequest } from '../../schemas/jobs-video.ts';
import { ProviderContentPolicyError } from '../../services/jobs/provider-content-policy-error.ts';
import type { RetrieveOutcome } from '../../services/jobs/job-service.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobOwnerOf } from './job-owner.ts';

const ROUTES = [
  { kind: 'video', path: '/video/retrieve', schema: retrieveVideoRequest },
  { kind: 'music', path: '/audio/retrieve', schema: retrieveAudioRequest },
] as const;

/**
 * swagger: /audio/retrieve's 422 is a ContentViolationError (`{error: string}`), not the nested
 * ProviderContentPolicyError of /video/retrieve; `credits_refunded` rides along as an extra field.
 */
function asContentViolation(error: ProviderContentPolicyError): VeniceError {
  return new VeniceError('CONTENT_POLICY_VIOLATION', {
    message: error.message,
    extra: { credits_refunded: error.creditsRefunded },
  });
}

/**
 * POST /video/retrieve and /audio/retrieve (swagger: RetrieveVideoRequest, RetrieveAudioRequest): JSON
 * `{status: "PROCESSING", average_execution_time, execution_duration}` while the job runs; once done, the media
 * itself with its Content-Type, streamed from storage and never compressed (INVENTORY §11.26); a failed job
 * answers its error with `credits_refunded`. With `delete_media_on_completion`, the media is deleted once the
 * whole body has been handed to the connection (not when the client leaves half way).
 */
export function registerRetrieveRoutes(
  app: FastifyInstance,
  { jobs, auth }: JobRouteDependencies,
): void {
  for (const { kind, path, schema } of ROUTES) {
    app.post(path, { onRequest: auth, compress: false }, async (request, reply) => {
      const body = parseOrThrow(schema, request.body);
      let outcome: RetrieveOutcome;
      try {
        outcome = await jobs.retrieve(kind, body, jobOwnerOf(request));
      } catch (error) {
        throw kind === 'music' && error instanceof ProviderContentPolicyError
          ? asContentViolation(error)
          : error;
      }
      if (outcome.kind === 'status') return outcome.body;
      setModelHeaders(reply, outcome.entry, outcome.entry.engine.kind);
      reply.raw.once('finish', () => {
        outcome
          .delivered()
          .catch((error: unknown) =>
            request.log.warn({ err: error }, 'could not delete delivered media'),
          );
      });
      return reply
        .type(outcome.contentType)
        .header('content-length', outcome.bytes)
        .send(outcome.stream);
    });
  }
}
