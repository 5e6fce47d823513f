import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { VeniceError } from '../../errors/venice-error.ts';
import type { JobService } from '../../services/jobs/job-service.ts';

/** Where download links live: outside /api/v1, as Venice's are on their own host (…/v1/share/read/<token>). */
export const DOWNLOAD_PATH = '/share/read';

const params = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

/**
 * The pre-signed download links of models with `videoDelivery: download_url` (docs/guides/media/
 * video-generation.mdx, "Private download links"): GET without a key streams the finished MP4; DELETE revokes
 * the link (`{success}`). The token in the path is the credential; only its hash is stored.
 */
export function registerDownloadRoutes(app: FastifyInstance, jobs: JobService): void {
  const tokenOf = (raw: unknown): string => {
    const parsed = params.safeParse(raw);
    if (!parsed.success) throw new VeniceError('MEDIA_NOT_FOUND');
    return parsed.data.token;
  };
  app.get(`${DOWNLOAD_PATH}/:token`, { compress: false }, async (request, reply) => {
    const media = await jobs.download(tokenOf(request.params));
    // A link is private: no shared cache may keep the video.
    return reply
      .type(media.contentType)
      .header('content-length', media.bytes)
      .header('cache-control', 'private, no-store')
      .send(media.stream);
  });
  app.delete(`${DOWNLOAD_PATH}/:token`, async (request) =>
    jobs.revokeDownload(tokenOf(request.params)),
  );
}
