/**
 * A minimal, fast OpenAI-compatible upstream for benchmarks: `POST /v1/chat/completions` answers at once
 * with a fixed completion, as JSON or (with `stream: true`) as SSE written in one go. Every byte it can
 * send is built at start-up, so a request costs only reading and parsing its (small) JSON body.
 *
 * Run on its own: `node --import tsx bench/fast-upstream.ts [port]` (port 0, the default, picks a free one).
 * It prints one line `LISTENING <port>` on stdout once it accepts connections; SIGTERM/SIGINT stop it.
 * `GET /stats` answers `{ connections, requests }` so far (connections opened, completions asked for; `GET /v1/models`, which the model health monitor calls, is answered and not counted).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';

/** The completion the upstream always returns (8 content pieces when streamed). */
export const UPSTREAM_PIECES = [
  'Hello',
  ' from',
  ' the',
  ' fast',
  ' bench',
  ' upstream',
  ' right',
  ' away.',
] as const;
export const UPSTREAM_TEXT = UPSTREAM_PIECES.join('');
export const UPSTREAM_USAGE = {
  prompt_tokens: 12,
  completion_tokens: UPSTREAM_PIECES.length,
  total_tokens: 12 + UPSTREAM_PIECES.length,
};

const ID = 'chatcmpl-bench';
const CREATED = 1_700_000_000;
const MODEL = 'bench-upstream';

function jsonBody(): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: ID,
      object: 'chat.completion',
      created: CREATED,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: UPSTREAM_TEXT },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: UPSTREAM_USAGE,
    }),
  );
}

function sseBody(includeUsage: boolean): Buffer {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: CREATED, model: MODEL, choices, ...extra })}\n\n`;
  const events = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  ];
  for (const piece of UPSTREAM_PIECES)
    events.push(chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]));
  events.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (includeUsage) events.push(chunk([], { usage: UPSTREAM_USAGE }));
  events.push('data: [DONE]\n\n');
  return Buffer.from(events.join(''));
}

const JSON_BODY = jsonBody();
const SSE_WITH_USAGE = sseBody(true);
const SSE_WITHOUT_USAGE = sseBody(false);
const NOT_FOUND = Buffer.from(
  JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }),
);

function send(response: ServerResponse, status: number, contentType: string, body: Buffer): void {
  // Streams go out chunked (no content-length), as a real streaming server sends them, but in one write.
  response.writeHead(
    status,
    contentType === 'text/event-stream'
      ? { 'content-type': contentType, 'cache-control': 'no-cache' }
      : { 'content-type': contentType, 'content-length': body.length },
  );
  response.end(body);
}

const MODELS_BODY = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ id: 'bench', object: 'model', created: 0, owned_by: 'bench' }],
  }),
);

/** Counters the bench reads (GET /stats) to see whether its client keeps connections alive. */
const stats = { connections: 0, requests: 0 };

function handle(request: IncomingMessage, response: ServerResponse): void {
  if (request.method === 'GET' && request.url === '/stats') {
    send(response, 200, 'application/json', Buffer.from(JSON.stringify(stats)));
    return;
  }
  if (request.method === 'GET' && request.url === '/v1/models') {
    // Rialto's model health monitor lists the models every 15 s; not a completion, so not counted.
    send(response, 200, 'application/json', MODELS_BODY);
    return;
  }
  stats.requests += 1;
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    request.resume();
    send(response, 404, 'application/json', NOT_FOUND);
    return;
  }
  const pieces: Buffer[] = [];
  request.on('data', (piece: Buffer) => pieces.push(piece));
  request.on('end', () => {
    let body: { stream?: unknown; stream_options?: { include_usage?: unknown } | null } = {};
    try {
      body = JSON.parse(Buffer.concat(pieces).toString('utf8')) as typeof body;
    } catch {
      send(
        response,
        400,
        'application/json',
        Buffer.from('{"error":{"message":"body is not JSON","type":"invalid_request_error"}}'),
      );
      return;
    }
    if (body.stream === true)
      send(
        response,
        200,
        'text/event-stream',
        body.stream_options?.include_usage === true ? SSE_WITH_USAGE : SSE_WITHOUT_USAGE,
      );
    else send(response, 200, 'application/json', JSON_BODY);
  });
}

/** Starts the upstream on 127.0.0.1:`port`; resolves with the port it listens on. */
export function startFastUpstream(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  server.on('connection', () => {
    stats.connections += 1;
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('no TCP address'));
        return;
      }
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { port, close } = await startFastUpstream(Number(process.argv[2] ?? 0));
  const stop = (): void => {
    void close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent (gateway-overhead.ts) reads this line to learn the port.
  process.stdout.write(`LISTENING ${port}\n`);
}
