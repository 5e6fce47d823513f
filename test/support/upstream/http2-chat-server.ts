// An OpenAI-compatible chat upstream over HTTP/2 with TLS (what undici's allowH2 negotiates by ALPN), with a
// self-signed certificate for 127.0.0.1 made by openssl for the run. Streams can be held open until released, so
// a test or bench can have thousands open at once. Used by test/e2e/upstream-http2.test.ts and bench/stream-fanout.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  certFile: string;
  cert: string;
  key: string;
  remove(): void;
}

/** A key and a self-signed certificate for 127.0.0.1 (CN and IP SAN), valid for a day. */
export function selfSignedCertificate(): SelfSignedCertificate {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-tls-'));
  const [keyFile, certFile] = [join(directory, 'key.pem'), join(directory, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return {
    certFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

export interface Http2ChatServerOptions {
  /** Content chunks per streamed answer (each one word of `text`, cycled). */
  chunks?: number;
  /** When true, each stream sends its role chunk at once and the rest only after `release()`. */
  hold?: boolean;
}

export interface Http2ChatServer {
  /** https://127.0.0.1:PORT/v1 */
  url: string;
  certFile: string;
  /** The text every answer carries (streamed: the concatenation of its chunks). */
  text(chunks: number): string;
  /** HTTP versions seen, sessions (connections) accepted, streams now open, and streams answered. */
  stats(): { versions: Set<string>; sessions: number; open: number; answered: number };
  /** Lets every held stream (and every later one) send the rest of its answer. */
  release(): void;
  /** Holds later streams again after their first chunk, until the next `release()`. */
  hold(): void;
  close(): Promise<void>;
}

const WORDS = ['Hello', ' from', ' the', ' HTTP/2', ' upstream', ' right', ' here', '.'];
const USAGE = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };

/** The text of an answer of `chunks` content chunks. */
export function http2ChatText(chunks: number): string {
  return Array.from({ length: chunks }, (_, index) => WORDS[index % WORDS.length]).join('');
}

export async function startHttp2ChatServer(
  options: Http2ChatServerOptions = {},
): Promise<Http2ChatServer> {
  const chunks = options.chunks ?? 8;
  const certificate = selfSignedCertificate();
  const versions = new Set<string>();
  let sessions = 0;
  let open = 0;
  let answered = 0;
  let released = options.hold !== true;
  const waiting: (() => void)[] = [];
  const live = new Set<Http2Session>();

  const server = createSecureServer({
    cert: certificate.cert,
    key: certificate.key,
    allowHTTP1: false,
    // Thousands of streams on one session: lift the per-session stream cap and memory budget.
    settings: { maxConcurrentStreams: 100_000 },
    maxSessionMemory: 4096,
    peerMaxConcurrentStreams: 100_000,
  });
  server.on('session', (session) => {
    sessions += 1;
    live.add(session);
    session.once('close', () => live.delete(session));
  });

  const answer = async (
    request: Http2ServerRequest,
    response: Http2ServerResponse,
  ): Promise<void> => {
    versions.add(request.httpVersion);
    let raw = '';
    for await (const piece of request) raw += String(piece);
    const body = JSON.parse(raw) as {
      model: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
    };
    const base = { id: 'chatcmpl-h2', created: 1_700_000_000, model: body.model };
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: http2ChatText(chunks) },
              finish_reason: 'stop',
            },
          ],
          usage: USAGE,
        }),
      );
      answered += 1;
      return;
    }
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    open += 1;
    response.write(
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    );
    if (!released) await new Promise<void>((resolve) => waiting.push(resolve));
    let rest = '';
    for (let index = 0; index < chunks; index += 1)
      rest += chunk([
        { index: 0, delta: { content: WORDS[index % WORDS.length] }, finish_reason: null },
      ]);
    rest += chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    if (body.stream_options?.include_usage === true) rest += chunk([], { usage: USAGE });
    response.end(`${rest}data: [DONE]\n\n`);
    open -= 1;
    answered += 1;
  };
  server.on('request', (request, response) => {
    if (request.method === 'GET' && request.url === '/v1/models') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ object: 'list', data: [{ id: 'h2-upstream', object: 'model' }] }),
      );
      return;
    }
    answer(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(400);
      response.end();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}/v1`,
    certFile: certificate.certFile,
    text: http2ChatText,
    stats: () => ({ versions, sessions, open, answered }),
    release: () => {
      released = true;
      for (const resolve of waiting.splice(0)) resolve();
    },
    hold: () => {
      released = false;
    },
    close: async () => {
      for (const session of live) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certificate.remove();
    },
  };
}
