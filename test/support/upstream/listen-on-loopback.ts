import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Starts a test double on 127.0.0.1 (a free port) and gives its origin and a `stop` that closes it at once,
 * open connections included (a down upstream refuses connections); `stop` may be called more than once.
 */
export async function listenOnLoopback(
  server: Server,
): Promise<{ origin: string; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  const stop = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await done;
  };
  return { origin, stop };
}
