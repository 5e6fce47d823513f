import { VeniceError } from '../../errors/venice-error.ts';
import type { ApiKeyRecord } from '../../storage/store.ts';

type Privacy = { privacy: 'private' | 'anonymized'; modelType: string; modelId: string };

/**
 * A key's modelPrivacy (INVENTORY §7.1): PRIVATE_ONLY allows only private models; PRIVATE_TEXT requires
 * private text and embedding models and lets other modalities be anonymized.
 */
function allowedByPrivacy(key: ApiKeyRecord, request: Omit<Privacy, 'modelId'>): boolean {
  if (request.privacy === 'private' || key.modelPrivacy === 'ALL') return true;
  if (key.modelPrivacy === 'PRIVATE_ONLY') return false;
  return request.modelType !== 'text' && request.modelType !== 'embedding';
}

export function refuseByPrivacy(key: ApiKeyRecord, request: Privacy): void {
  if (!allowedByPrivacy(key, request)) {
    throw new VeniceError('UNAUTHORIZED', {
      message: `This API key may only use private models (modelPrivacy ${key.modelPrivacy}); ${request.modelId} is anonymized.`,
    });
  }
}
