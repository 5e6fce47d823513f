import multipart from '@fastify/multipart';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import {
  createTranscriptionRequest,
  MAX_TRANSCRIPTION_FILE_BYTES,
} from '../../schemas/transcriptions.ts';
import { renderTranscript } from '../../services/transcript-formats.ts';
import type { TranscriptionService } from '../../services/transcription-service.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readFileForm } from '../media-form.ts';

/**
 * POST /audio/transcriptions (swagger: CreateTranscriptionRequestSchema, multipart/form-data). Multipart
 * is parsed only in this route's scope: every other route still answers 415 to anything but JSON.
 */
export function registerTranscriptionRoute(
  app: FastifyInstance,
  transcriptions: TranscriptionService,
  auth: onRequestAsyncHookHandler,
): void {
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: MAX_TRANSCRIPTION_FILE_BYTES,
        files: 2,
        fields: 16,
        fieldSize: 64 * 1024,
        parts: 18,
      },
    });
    scope.post('/audio/transcriptions', { onRequest: auth }, async (request, reply) => {
      if (!request.isMultipart()) throw new VeniceError('INVALID_CONTENT_TYPE');
      // Other file parts leave a marker, so the strict schema names them.
      const { fields, filename: fileName } = await readFileForm(request, { markOtherFiles: true });
      const body = parseOrThrow(createTranscriptionRequest, fields);
      const billing = request.billing;
      const outcome = await transcriptions.transcribe(
        body,
        fileName,
        abortOnClose(request, reply),
        billing,
      );
      setModelHeaders(reply, outcome.entry, outcome.servedBy);
      const rendered = renderTranscript(outcome.result, body.response_format, {
        timestamps: body.timestamps,
        language: body.language ?? 'en',
      });
      reply.type(rendered.contentType);
      return rendered.body;
    });
  });
}
