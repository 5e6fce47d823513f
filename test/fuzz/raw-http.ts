// HTTP/1.1 from a raw socket, for what fetch will not send: a Content-Length the body never reaches, bytes
// that are not UTF-8 in a path or header, malformed chunked bodies, duplicate or malformed Content-Type.
import { connect } from 'node:net';

export interface RawAnswer {
  /** undefined when the server closed the connection without answering. */
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The first answer in `bytes` (status line, headers, body by Content-Length or chunked). */
export function parseAnswer(bytes: Buffer): RawAnswer {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: undefined, headers: {}, body: Buffer.alloc(0) };
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(headEnd + 4);
  const length = headers['content-length'];
  const body =
    headers['transfer-encoding'] === 'chunked'
      ? dechunk(rest)
      : length === undefined
        ? rest
        : rest.subarray(0, Number(length));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Sends `request` byte for byte; with `halfClose`, ends the writing side right after (a body cut short).
 * Resolves with the first answer once the server closes the connection or `timeoutMs` passes (then it fails:
 * the server neither answered nor gave up on the request).
 */
export function rawExchange(
  origin: string,
  request: Buffer,
  options: { halfClose?: boolean; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no answer and no close within ${options.timeoutMs ?? 10_000} ms: ${request.subarray(0, 200).toString('latin1')}`,
        ),
      );
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.on('end', () => socket.end());
    socket.write(request, () => {
      if (options.halfClose === true) socket.end();
    });
  });
}

/** A request's bytes: the request line, `headers` (Connection: close added) and the body. */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string = '',
): Buffer {
  const head = [
    `${method} ${path} HTTP/1.1`,
    ...Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
  ]);
}
