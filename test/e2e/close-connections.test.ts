// rialto-test: sqlite-only
// A closing server (SIGTERM, or a test's close) ends the connections that carry no request: idle keep-alive ones,
// and ones a client opened without sending anything yet (a preconnect), which Node counts as awaiting their first
// request's headers and would otherwise hold the close for server.headersTimeoutMs (60 s by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { startRialto } from '../support/start-rialto.ts';

/** A hang guard, not a timing: without the closing, the close waits the whole headersTimeout set below. */
const GUARD_MS = 30_000;

function opened(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  return once(socket, 'connect').then(() => socket);
}

test('close ends connections that have sent nothing and keep-alive ones left idle', async () => {
  const rialto = await startRialto(
    { server: { headersTimeoutMs: 600_000, requestTimeoutMs: 600_000 } },
    { balanceUsd: 0 },
  );
  const port = Number(new URL(rialto.origin).port);
  const silent = await opened(port);
  const keptAlive = await opened(port);
  keptAlive.write(
    `GET /api/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`,
  );
  const [answer] = (await once(keptAlive, 'data')) as [Buffer];
  assert.match(answer.toString('latin1'), /^HTTP\/1\.1 200/);

  let guard: NodeJS.Timeout | undefined;
  const closing = rialto.close().then(() => 'closed' as const);
  const outcome = await Promise.race([
    closing,
    new Promise<'hung'>((resolve) => {
      guard = setTimeout(() => resolve('hung'), GUARD_MS);
    }),
  ]);
  clearTimeout(guard);
  assert.equal(outcome, 'closed', 'the close waited for a connection that carried no request');
  for (const socket of [silent, keptAlive]) {
    if (!socket.destroyed) await once(socket, 'close');
  }
});
