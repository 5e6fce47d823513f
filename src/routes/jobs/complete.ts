import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { completeAudioRequest } from '../../schemas/jobs-audio.ts';
import { completeVideoRequest } from '../../schemas/jobs-video.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobOwnerOf } from './job-owner.ts';

const ROUTES = [
  { kind: 'video', path: '/video/complete', schema: completeVideoRequest },
  { kind: 'music', path: '/audio/complete', schema: completeAudioRequest },
] as const;

/**
 * POST /video/complete and /audio/complete (swagger: CompleteVideoRequest, CompleteAudioRequest): deletes the
 * stored media of a finished job; `{success}`, false while the job still runs (swagger: "cleanup did not
 * complete and can be retried later"). Retrieve answers 404 afterwards. Unknown jobs and other accounts' are 404.
 */
export function registerCompleteRoutes(
  app: FastifyInstance,
  { jobs, auth }: JobRouteDependencies,
): void {
  for (const { kind, path, schema } of ROUTES) {
    app.post(path, { onRequest: auth }, async (request) => {
      const body = parseOrThrow(schema, request.body);
      return jobs.complete(kind, body, jobOwnerOf(request));
    });
  }
}
