import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `host` (e.g. 127.0.0.2, an address a test lets through the fetch policy) and `port` (0: a free one); the port. */
export async function listenOnHost(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes `server` at once, open connections included. */
export async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
