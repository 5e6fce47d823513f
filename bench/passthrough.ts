/**
 * The floor of a Node.js gateway, for bench/gateway-overhead.ts: Fastify 5 (Rialto's HTTP framework) relaying
 * `POST /v1/chat/completions` to the upstream with an undici Pool (Rialto's HTTP client), bytes in and bytes out:
 * no auth, no validation, no parsing of either body, no limits, no billing. What any gateway built on these two
 * libraries costs at least, measured in the same run as Rialto.
 *
 *   node bench/passthrough.ts UPSTREAM_ORIGIN [--close-after-stream]    (prints `LISTENING <port>` once it listens)
 *
 * --close-after-stream: each request gets a connection of its own to the upstream (undici's `reset`), for an upstream
 * that closes its connection after every stream while announcing keep-alive (llama-server; Rialto's llama-server kind
 * does the same, src/engines/llama-server/llama-server-engine.ts).
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = process.argv[2];
if (upstream === undefined)
  throw new Error('usage: passthrough.ts UPSTREAM_ORIGIN [--close-after-stream]');
const reset = process.argv.includes('--close-after-stream');
const pool = new Pool(upstream, { connections: 64, keepAliveTimeout: 60_000 });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/chat/completions', async (request, reply) => {
  const answer = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: request.body as Buffer,
    reset,
  });
  reply
    .status(answer.statusCode)
    .header('content-type', String(answer.headers['content-type'] ?? 'application/json'));
  return reply.send(answer.body);
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${new URL(address).port}\n`);
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.close())
    .finally(() => process.exit(0));
});
