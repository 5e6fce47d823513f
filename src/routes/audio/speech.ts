import { Readable } from 'node:stream';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { createSpeechRequest } from '../../schemas/audio.ts';
import type { SpeechService } from '../../services/speech-service.ts';
import { abortOnClose } from '../abort-on-close.ts';

/**
 * POST /audio/speech (swagger: CreateSpeechRequestSchema): binary audio with its format's Content-Type.
 * `streaming: true` writes the audio as it is produced, sentence by sentence, in a chunked body (not SSE;
 * INVENTORY §1 row 26); an error after the first chunk can only cut the body short. Binary audio is never
 * compressed (INVENTORY §11.26).
 */
export function registerSpeechRoute(
  app: FastifyInstance,
  speech: SpeechService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/audio/speech', { onRequest: auth, compress: false }, async (request, reply) => {
    const body = parseOrThrow(createSpeechRequest, request.body);
    const billing = request.billing;
    const outcome = await speech.synthesize(
      body,
      abortOnClose(request, reply),
      billing,
      // vv_ handles resolve among the voices of the key's account or of the signed-in wallet (voiceOwnerOf).
      request.apiKey?.accountId ?? request.signedInWallet?.wallet,
    );
    setModelHeaders(reply, outcome.entry, outcome.servedBy);
    reply.type(outcome.contentType);
    if (body.streaming) return reply.send(Readable.from(outcome.audio, { objectMode: false }));
    const chunks: Buffer[] = [];
    for await (const chunk of outcome.audio) chunks.push(chunk);
    return reply.send(Buffer.concat(chunks));
  });
}
