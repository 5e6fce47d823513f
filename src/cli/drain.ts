import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** After the deadline's cut-off, how long requests get to end before their connections are closed under them. */
const CUT_OFF_MS = 5000;

/**
 * A graceful stop of the HTTP side: no new connections, new requests on open ones answered 503 (Fastify's
 * return503OnClosing), /ready 503; requests in progress run on for `graceSeconds`. Those still open then are
 * cut off (http/lifecycle.ts: streams end with a SHUTTING_DOWN error event, usage settled for what was
 * generated). Resolves once every connection is closed and the app's onClose hooks ran.
 */
export async function drain(
  app: FastifyInstance,
  graceSeconds: number,
  logger: Logger,
): Promise<void> {
  const lifecycle = app.lifecycle;
  lifecycle?.drain();
  logger.info(`Shutting down: no new requests; open ones have ${graceSeconds} s to finish`);
  const cutOff = setTimeout(() => {
    const count = lifecycle?.cutOff() ?? 0;
    if (count > 0)
      logger.warn(
        { requests: count },
        'shutdown deadline reached: requests still open were cut off',
      );
  }, graceSeconds * 1000);
  const force = setTimeout(
    () => app.server.closeAllConnections(),
    graceSeconds * 1000 + CUT_OFF_MS,
  );
  try {
    await app.close();
  } finally {
    clearTimeout(cutOff);
    clearTimeout(force);
  }
}
