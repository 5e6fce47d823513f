import type { FastifyInstance } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import type { TopUpService } from '../../services/wallets/top-up-service.ts';

/** Payment header names, canonical first (swagger: topUpX402Balance; the legacy names still accepted). */
const PAYMENT_HEADERS = ['payment-signature', 'x-402-payment', 'x-payment'] as const;

/**
 * POST /x402/top-up: no payment header → 402 with the requirements (body and PAYMENT-REQUIRED header); with one →
 * verified, settled and credited once, 200 with PAYMENT-RESPONSE; refused payments get the x402 error body.
 */
export function registerTopUp(app: FastifyInstance, topUp: TopUpService, publicUrl?: string): void {
  // "No JSON body required" (swagger): whatever body comes is read and dropped, never parsed, so a malformed one
  // cannot turn a payment into the generic 400 (the fuzzer's finding: invalid JSON got {error, details, issues}).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Dropped, but bounded like every body (server.bodyLimit): a client may not make the server read an endless one.
    const limit = scope.initialConfig.bodyLimit ?? 1024 * 1024;
    scope.addContentTypeParser('*', (_request, payload, done) => {
      let received = 0;
      const onData = (chunk: Buffer): void => {
        received += chunk.length;
        if (received <= limit) return;
        payload.off('data', onData);
        done(new VeniceError('PAYLOAD_TOO_LARGE'), undefined);
      };
      payload.on('data', onData);
      payload.on('error', (error) => done(error, undefined));
      payload.on('end', () => done(null, undefined));
    });
    registerRoute(scope, topUp, publicUrl);
  });
}

function registerRoute(app: FastifyInstance, topUp: TopUpService, publicUrl?: string): void {
  app.post('/x402/top-up', async (request, reply) => {
    const header = PAYMENT_HEADERS.map((name) => request.headers[name]).find(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (header === undefined) {
      const base = publicUrl ?? `${request.protocol}://${request.host}`;
      const required = topUp.paymentRequired(`${base.replace(/\/+$/, '')}${request.url}`);
      reply.header('payment-required', required.header);
      return reply.status(402).send(required.body);
    }
    const result = await topUp.topUp(header);
    reply.header('payment-response', result.paymentResponse);
    return { success: true, data: result.data };
  });
}
