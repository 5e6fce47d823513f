import multipart from '@fastify/multipart';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { MAX_TEXT_PARSER_FILE_BYTES, textParserRequest } from '../../schemas/text-parser.ts';
import { parseDocument } from '../../services/documents/text-parser-service.ts';
import type { ParserPool } from '../../services/parsers/parser-pool.ts';
import type { Cost } from '../../services/pricing.ts';
import { abortOnClose } from '../abort-on-close.ts';
import { readFileForm } from '../media-form.ts';

export interface TextParserRouteDependencies {
  /** The inference key check (onRequest hook): 401 without a valid key. */
  auth: onRequestAsyncHookHandler;
  /** The flat price of one parse (config augment.pricing.textParser), charged only when text comes back. */
  price: Cost;
  /** Parses the document off the event loop, under config.parsers' caps. */
  parsers: ParserPool;
}

/**
 * POST /augment/text-parser (swagger: createTextParser): a document up to 25 MB in, its text out as
 * `{ text, tokens }` or text/plain. Multipart is parsed only in this route's scope; the document is parsed
 * by the documents service, in memory, and billed at the flat price once it succeeds.
 */
export function registerTextParserRoute(
  app: FastifyInstance,
  dependencies: TextParserRouteDependencies,
): void {
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: MAX_TEXT_PARSER_FILE_BYTES,
        files: 2,
        fields: 16,
        fieldSize: 64 * 1024,
        parts: 18,
      },
    });
    scope.post('/augment/text-parser', { onRequest: dependencies.auth }, async (request, reply) => {
      if (!request.isMultipart()) throw new VeniceError('INVALID_CONTENT_TYPE');
      // A file over 25 MB is 413 with INVENTORY §4.2's PayloadTooLargeError body; other file parts are drained.
      const upload = await readFileForm(request, { markOtherFiles: false });
      const body = parseOrThrow(textParserRequest, upload.fields);
      const billing = request.billing;
      const file = { bytes: body.file, filename: upload.filename, contentType: upload.contentType };
      const parsed = await parseDocument(
        file,
        billing,
        dependencies.price,
        abortOnClose(request, reply),
        dependencies.parsers,
      );
      if (body.response_format === 'json') return parsed;
      reply.type('text/plain; charset=utf-8');
      return parsed.text;
    });
  });
}
