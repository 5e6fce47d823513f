import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { MAX_TEXT_PARSER_FILE_BYTES, textParserRequest } from '../../schemas/text-parser.ts';
import type { Meter } from '../../services/billing/meter.ts';
import { parseDocument } from '../../services/documents/text-parser-service.ts';
import type { Cost } from '../../services/pricing.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { formError } from '../media-form.ts';

export interface TextParserRouteDependencies {
  /** Bills each request on the caller's key (rate limit, then the price reserved and settled). */
  meter: Meter;
  /** The inference key check (onRequest hook): 401 without a valid key. */
  auth: onRequestAsyncHookHandler;
  /** The flat price of one parse (config augment.pricing.textParser), charged only when text comes back. */
  price: Cost;
}

interface Upload {
  fields: Record<string, unknown>;
  filename?: string;
  contentType?: string;
}

/**
 * The form's fields by name, the `file` part as its bytes with its name and Content-Type; a name sent twice
 * becomes an array (which the schema refuses). Other file parts are drained. A file over 25 MB is 413 with
 * INVENTORY §4.2's PayloadTooLargeError body, as /audio/transcriptions answers.
 */
async function readUpload(request: FastifyRequest): Promise<Upload> {
  const fields = new Map<string, unknown>();
  const upload: Omit<Upload, 'fields'> = {};
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
        Object.assign(upload, { filename: part.filename, contentType: part.mimetype });
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    throw formError(request, error, () => new VeniceError('PAYLOAD_TOO_LARGE', { message: 'File exceeds the maximum allowed size of 25 MB.', extra: { code: 'PAYLOAD_TOO_LARGE' } }));
  }
  return { fields: Object.fromEntries(fields), ...upload };
}

/**
 * POST /augment/text-parser (swagger: createTextParser): a document up to 25 MB in, its text out as
 * `{ text, tokens }` or text/plain. Multipart is parsed only in this route's scope; the document is parsed
 * by the documents service, in memory, and billed at the flat price once it succeeds.
 */
export function registerTextParserRoute(app: FastifyInstance, dependencies: TextParserRouteDependencies): void {
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_TEXT_PARSER_FILE_BYTES, files: 2, fields: 16, fieldSize: 64 * 1024, parts: 18 } });
    scope.post('/augment/text-parser', { onRequest: dependencies.auth }, async (request, reply) => {
      if (!request.isMultipart()) throw new VeniceError('INVALID_CONTENT_TYPE');
      const upload = await readUpload(request);
      const body = parseOrThrow(textParserRequest, upload.fields);
      const billing = dependencies.meter.for(request.apiKey!, (headers) => reply.headers(Object.fromEntries(Object.entries(headers))));
      const file = { bytes: body.file, filename: upload.filename, contentType: upload.contentType };
      const parsed = await parseDocument(file, billing, dependencies.price, abortOnClose(request, reply));
      if (body.response_format === 'json') return parsed;
      reply.type('text/plain; charset=utf-8');
      return parsed.text;
    });
  });
}
