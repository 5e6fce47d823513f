import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';

/**
 * A preParsing hook that holds multipart/form-data bodies to server.bodyLimit, as Fastify holds JSON ones:
 * @fastify/multipart reads request.raw itself, under its per-file limits only. An announced Content-Length over
 * the limit is 413 PAYLOAD_TOO_LARGE before anything is read; a body without one is counted as the route reads
 * it and, past the limit, the reading fails with 413 (the parser's error listener takes it) and the connection
 * closes after the answer rather than reading the rest. It runs after the route's onRequest auth, as JSON
 * parsing does: an anonymous caller still gets 401 first.
 */
export function multipartBodyLimit(bodyLimit: number) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.headers['content-type']?.toLowerCase().startsWith('multipart/') !== true) return;
    if (Number(request.headers['content-length']) > bodyLimit)
      throw new VeniceError('PAYLOAD_TOO_LARGE');
    const raw = request.raw;
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= bodyLimit) return;
      raw.removeListener('data', count);
      reply.header('connection', 'close');
      raw.unpipe();
      // Only a reader that listens for errors (the multipart parser) is reading: nothing else to stop otherwise.
      if (raw.listenerCount('error') > 0) raw.emit('error', new VeniceError('PAYLOAD_TOO_LARGE'));
    };
    // EventEmitter's own `on`: Readable's would start the body flowing before the route pipes it to its parser.
    EventEmitter.prototype.on.call(raw, 'data', count);
  };
}
