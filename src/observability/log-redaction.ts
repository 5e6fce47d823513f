import type { FastifyRequest } from 'fastify';
import { DOWNLOAD_PATH } from '../routes/jobs/download.ts';

/**
 * Where a logged object can carry request headers: Fastify's own serializers never log them, but a plugin may
 * (@fastify/multipart logs its busboy options, the request's headers inside, at trace). The app's logger takes
 * these in place of the process logger's (a pino child's redact replaces its parent's).
 */
export const REDACTED_PATHS = ['headers', '*.headers', '*.*.headers'].flatMap((headers) => [
  `${headers}.authorization`,
  `${headers}.cookie`,
  `${headers}["x-api-key"]`,
  // x402 (docs/wallets.md): a sign-in is replayable until its nonce is used; a payment is a signed authorization.
  `${headers}["sign-in-with-x"]`,
  `${headers}["x-sign-in-with-x"]`,
  `${headers}["payment-signature"]`,
  `${headers}["x-402-payment"]`,
  `${headers}["x-payment"]`,
]);

/** A download link's last segment is its credential (routes/jobs/download.ts), whether or not the route matched. */
const DOWNLOAD_TOKEN = new RegExp(`^(${DOWNLOAD_PATH}/)[^?#]*`);

/** The request URL as logged: a download link's token replaced; its route template when routing matched one. */
export function loggedUrl(
  request: Pick<FastifyRequest, 'url'> & { routeOptions?: { url?: string | undefined } },
): string {
  const route = request.routeOptions?.url;
  if (route?.startsWith(`${DOWNLOAD_PATH}/`) === true) return route;
  return request.url.replace(DOWNLOAD_TOKEN, '$1[redacted]');
}

/**
 * Fastify's `req` log serializer (node_modules/fastify/lib/logger-pino.js, the "incoming request" line at debug)
 * with the URL passed through `loggedUrl`: the same fields, never a download token.
 */
export function requestLogSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: loggedUrl(request),
    version: request.headers['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
