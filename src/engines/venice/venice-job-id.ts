import { z } from 'zod';
import { endpointIdentity } from '../upstream/upstream-endpoint.ts';

/**
 * Everything needed to find a relayed job again, kept as the job's engine id (the engine keeps no state, so a
 * worker in any process resumes from this alone): the upstream endpoint that accepted it (a queue_id means
 * nothing to the others), the upstream's queue_id, and the download_url a private model returns once, at queue
 * time (swagger: /video/queue 200 `download_url`).
 */
export interface VeniceJobId {
  /** The endpoint's URL without user information (UpstreamEndpoint.identity): the id is stored in the database. */
  endpoint: string;
  queueId: string;
  downloadUrl?: string;
}

const stored = z.object({
  endpoint: z.string(),
  queue_id: z.string().min(1),
  download_url: z.string().optional(),
});

export function encodeVeniceJobId(id: VeniceJobId): string {
  return JSON.stringify({
    endpoint: endpointIdentity(id.endpoint),
    queue_id: id.queueId,
    ...(id.downloadUrl === undefined ? {} : { download_url: id.downloadUrl }),
  });
}

/**
 * The id written by encodeVeniceJobId, or undefined for anything else. Ids stored before identities were
 * (the endpoint's whole URL, password included) read the same: their endpoint is reduced to its identity.
 */
export function decodeVeniceJobId(engineJobId: string): VeniceJobId | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(engineJobId);
  } catch {
    return undefined;
  }
  const result = stored.safeParse(parsed);
  if (!result.success) return undefined;
  const { endpoint, queue_id: queueId, download_url: downloadUrl } = result.data;
  const identity = endpointIdentity(endpoint);
  return downloadUrl === undefined
    ? { endpoint: identity, queueId }
    : { endpoint: identity, queueId, downloadUrl };
}
