import { randomFillSync } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ModelEntry } from '../services/model-registry.ts';

/** The API build Rialto implements (swagger info.version), sent as x-venice-version. */
export const VENICE_API_VERSION = '20260821.193530';

/** Random bytes for request ids, drawn 4 KB at a time: one randomFillSync per 512 ids instead of one per request. */
const idBytes = Buffer.alloc(4096);
let idOffset = idBytes.length;

/** A CF-RAY-like unique request id: 16 hex digits and Rialto's location code. */
export function newRequestId(): string {
  if (idOffset === idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  idOffset += 8;
  return `${idBytes.toString('hex', idOffset - 8, idOffset)}-RLT`;
}

/** Headers every response carries (docs/api-reference/api-spec.mdx, Response Headers Reference). */
export function baseHeaders(requestId: string): Record<string, string> {
  return {
    'cf-ray': requestId,
    'x-request-id': requestId,
    'x-venice-version': VENICE_API_VERSION,
    'x-venice-timestamp': new Date().toISOString(),
  };
}

/** Printable ASCII but `%`: what a header value carries as it is. */
const PLAIN = /[^\x20-\x24\x26-\x7e]+/g;

/**
 * `text` as a header value every HTTP stack takes (printable ASCII, RFC 9110 field-value without obs-text). A
 * configured name may be any text (a model called "Upstream — chat" keeps its dash in /models and in bodies):
 * here each run of other characters, and `%`, is percent-encoded as UTF-8, so `decodeURIComponent(value)` gives
 * the text back ("Upstream %E2%80%94 chat"). Node refuses a header outside Latin-1 (ERR_INVALID_CHAR) only when
 * it is written, after the request was served and charged, hence encoding rather than failing there.
 */
export function headerValue(text: string): string {
  return text.replace(PLAIN, (run) =>
    Array.from(
      Buffer.from(run, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}

/**
 * x-venice-model-* headers of an inference response, including deprecation notices from the model's config.
 * Every value comes from the config or an endpoint's name, so each goes through `headerValue`.
 */
export function setModelHeaders(reply: FastifyReply, entry: ModelEntry, servedBy: string): void {
  const { config } = entry;
  reply.header('x-venice-model-id', headerValue(config.id));
  reply.header('x-venice-model-name', headerValue(config.name ?? config.id));
  reply.header('x-venice-model-router', headerValue(servedBy));
  const deprecation = config.deprecation;
  if (deprecation === undefined) return;
  reply.header(
    'x-venice-model-deprecation-warning',
    headerValue(
      deprecation.warning ??
        `${config.id} is deprecated and will be removed on ${deprecation.removesAt}.`,
    ),
  );
  reply.header('x-venice-model-deprecation-date', headerValue(deprecation.date));
  reply.header('x-venice-deprecated', 'true');
  if (deprecation.replacementModelId !== undefined)
    reply.header('x-venice-deprecated-replacement', headerValue(deprecation.replacementModelId));
}
