// A load balancer in front of several servers, for the replica tests: each request goes to the next target in
// turn; request bodies and responses (SSE included) are streamed through as they come, and a client that goes
// away mid-response closes the forwarded request too.
import { Agent, createServer, request as forward, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from './upstream/listen-on-loopback.ts';

export interface RoundRobinProxy {
  /** e.g. http://127.0.0.1:PORT (paths are forwarded as they are) */
  origin: string;
  /** Requests forwarded to each target so far, by index. */
  readonly forwarded: readonly number[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** Starts the proxy on 127.0.0.1; `targets` are origins (http://host:port). */
export async function startRoundRobinProxy(targets: readonly string[]): Promise<RoundRobinProxy> {
  const agent = new Agent({ keepAlive: true });
  const forwarded = targets.map(() => 0);
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const index = next++ % targets.length;
    forwarded[index]! += 1;
    const target = new URL(targets[index]!);
    const upstream = forward(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        agent,
        headers: { ...endToEnd(incoming.headers), host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end('{"error":"proxy: the target failed"}');
    });
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    incoming.pipe(upstream);
  });
  const { origin, stop } = await listenOnLoopback(server);
  return {
    origin,
    forwarded,
    close: async () => {
      await stop();
      agent.destroy();
    },
  };
}
