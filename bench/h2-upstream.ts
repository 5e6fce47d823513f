/**
 * The HTTP/2 chat upstream of bench/stream-fanout.ts in a process of its own (its CPU and memory measured apart),
 * driven over IPC: it sends `{ type: 'ready', url, certFile }` once listening, then answers `stats` with
 * `{ type: 'stats', open, answered, sessions }` and obeys `hold` / `release` (streams wait after their first chunk
 * until released). Argument: the content chunks per streamed answer.
 */
import { startHttp2ChatServer } from '../test/support/upstream/http2-chat-server.ts';

export type UpstreamCommand = { type: 'stats' | 'hold' | 'release' };
export type UpstreamMessage =
  | { type: 'ready'; url: string; certFile: string }
  | { type: 'stats'; open: number; answered: number; sessions: number };

if (process.send === undefined)
  throw new Error('usage: h2-upstream.ts CHUNKS, with an IPC channel');
const server = await startHttp2ChatServer({ chunks: Number(process.argv[2] ?? 32), hold: true });
const send = (message: UpstreamMessage): void => {
  process.send?.(message);
};
process.on('message', (command: UpstreamCommand) => {
  if (command.type === 'release') server.release();
  else if (command.type === 'hold') server.hold();
  const { open, answered, sessions } = server.stats();
  send({ type: 'stats', open, answered, sessions });
});
process.once('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
send({ type: 'ready', url: server.url, certFile: server.certFile });
