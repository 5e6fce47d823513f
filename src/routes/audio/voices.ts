import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { MAX_SAMPLE_BYTES, type VoiceService } from '../../services/voices/voice-service.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readFileForm } from '../media-form.ts';

// swagger: CreateClonedVoiceRequestSchema (multipart). Its enum names the hosted models; any tts model of this
// server is accepted here, and one whose engine cannot clone is a 400 on `model` (services/voices).
const createClonedVoiceRequest = z.strictObject({
  file: z.instanceof(Buffer, {
    error: (issue) =>
      issue.input === undefined ? 'Required' : 'Expected an audio file part, not a text field',
  }),
  model: z.string().min(1).optional(),
});

const voiceId = z.strictObject({ id: z.string().regex(/^vv_[0-9a-f]{32}$/, 'Not a voice handle') });

/**
 * Who owns the voices a request clones, deletes or speaks with: its API key's account id, or the id of the wallet
 * it signed in with (SIGN-IN-WITH-X: 'eip155:<lowercase address>' / 'solana:<address>', the wallet ledger's id).
 * A key minted by a wallet (POST /api_keys/generate_web3_key) has that same id as its account, so the wallet and
 * its own minted keys share voices: the same owner, on purpose.
 */
export function voiceOwnerOf(request: FastifyRequest): string {
  const owner = request.apiKey?.accountId ?? request.signedInWallet?.wallet;
  if (owner === undefined) throw new VeniceError('AUTHENTICATION_FAILED');
  return owner;
}

/**
 * POST /audio/voices (swagger: createClonedVoice): the sample in the part `file` (at most 10 MB, else 413), the
 * model in `model`; answers {id: "vv_…", model}; a key or a signed-in wallet (swagger: BearerAuth, siwx) owns it. DELETE /audio/voices/{id} (Rialto's, not in the swagger) deletes
 * the caller's voice and its sample now, instead of at expiry. Multipart is parsed only in this scope.
 */
export function registerVoicesRoute(
  app: FastifyInstance,
  voices: VoiceService,
  auth: onRequestAsyncHookHandler,
): void {
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: MAX_SAMPLE_BYTES, files: 2, fields: 8, fieldSize: 4 * 1024, parts: 10 },
    });
    scope.post('/audio/voices', { onRequest: auth }, async (request, reply) => {
      if (!request.isMultipart()) throw new VeniceError('INVALID_CONTENT_TYPE');
      const { fields } = await readFileForm(request, { markOtherFiles: true });
      const body = parseOrThrow(createClonedVoiceRequest, fields);
      const created = await voices.create(
        voiceOwnerOf(request),
        body,
        abortOnClose(request, reply),
      );
      setModelHeaders(reply, created.entry, created.servedBy);
      return { id: created.id, model: created.model };
    });
  });
  app.delete('/audio/voices/:id', { onRequest: auth }, async (request, reply) => {
    const { id } = parseOrThrow(voiceId, request.params);
    if (!(await voices.delete(voiceOwnerOf(request), id, abortOnClose(request, reply))))
      throw new VeniceError('VOICE_NOT_FOUND');
    return { id, deleted: true };
  });
}
