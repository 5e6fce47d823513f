import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { pino } from 'pino';
import { REDACTED_PATHS } from '../../observability/log-redaction.ts';

it('redacts the x402 sign-in and payment headers in logged requests', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  const headers = {
    'sign-in-with-x': 'siwx-secret-1',
    'x-sign-in-with-x': 'siwx-secret-2',
    'payment-signature': 'payment-secret-1',
    'x-402-payment': 'payment-secret-2',
    'x-payment': 'payment-secret-3',
  };
  logger.info({ req: { headers } }, 'request');
  logger.info({ headers }, 'request');
  const logged = lines.join('');
  assert.doesNotMatch(logged, /secret/);
  assert.equal(logged.split('[redacted]').length - 1, 10);
});
