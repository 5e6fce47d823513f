import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { createTranscriptionRequest, MAX_TRANSCRIPTION_FILE_BYTES } from '../../schemas/transcriptions.ts';
import type { Meter } from '../../services/billing/meter.ts';
import { renderTranscript } from '../../services/transcript-formats.ts';
import type { TranscriptionService } from '../../services/transcription-service.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { formError } from '../media-form.ts';

/** INVENTORY §1.4 (PayloadTooLargeError): the body Venice sends for an upload over 25 MB. */
function fileTooLarge(): VeniceError {
  return new VeniceError('PAYLOAD_TOO_LARGE', { message: 'File exceeds the maximum allowed size of 25 MB.', extra: { code: 'PAYLOAD_TOO_LARGE' } });
}

/**
 * The form's fields by name: text fields as strings, the `file` part as its bytes; a name sent twice
 * becomes an array (which the schema refuses). Other file parts are drained and kept as a marker, so
 * the strict schema names them.
 */
async function readForm(request: FastifyRequest): Promise<{ fields: Record<string, unknown>; fileName?: string }> {
  const fields = new Map<string, unknown>();
  let fileName: string | undefined;
  const add = (name: string, value: unknown): void => {
    const previous = fields.get(name);
    fields.set(name, previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]);
  };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        add(part.fieldname, part.value);
      } else if (part.fieldname === 'file') {
        add('file', await part.toBuffer());
        fileName = part.filename;
      } else {
        part.file.resume();
        add(part.fieldname, `[file ${part.filename}]`);
      }
    }
  } catch (error) {
    throw formError(request, error, fileTooLarge);
  }
  return { fields: Object.fromEntries(fields), ...(fileName === undefined ? {} : { fileName }) };
}

/**
 * POST /audio/transcriptions (swagger: CreateTranscriptionRequestSchema, multipart/form-data). Multipart
 * is parsed only in this route's scope: every other route still answers 415 to anything but JSON.
 */
export function registerTranscriptionRoute(app: FastifyInstance, transcriptions: TranscriptionService, meter: Meter, auth: onRequestAsyncHookHandler): void {
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_TRANSCRIPTION_FILE_BYTES, files: 2, fields: 16, fieldSize: 64 * 1024, parts: 18 } });
    scope.post('/audio/transcriptions', { onRequest: auth }, async (request, reply) => {
      if (!request.isMultipart()) throw new VeniceError('INVALID_CONTENT_TYPE');
      const { fields, fileName } = await readForm(request);
      const body = parseOrThrow(createTranscriptionRequest, fields);
      const billing = meter.for(request.apiKey!, (headers) => reply.headers(Object.fromEntries(Object.entries(headers))));
      const outcome = await transcriptions.transcribe(body, fileName, abortOnClose(request, reply), billing);
      setModelHeaders(reply, outcome.entry, outcome.servedBy);
      const rendered = renderTranscript(outcome.result, body.response_format, { timestamps: body.timestamps, language: body.language ?? 'en' });
      reply.type(rendered.contentType);
      return rendered.body;
    });
  });
}
