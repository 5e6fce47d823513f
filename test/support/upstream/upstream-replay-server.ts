/**
 * Upstream replay server: a REAL HTTP server (node:http on 127.0.0.1, port 0) that
 * impersonates a remote OpenAI-compatible engine — vLLM, llama.cpp's `llama-server`,
 * or Ollama's `/v1` API — by replaying the recordings in `test/recordings/<flavor>/*.json`.
 *
 * MATCH RULE (deterministic, driven by the request):
 *  1. Path: the request's pathname (query string dropped, trailing "/" dropped) must equal
 *     a recording's `request.path`, and the HTTP method its `request.method`.
 *     llamacpp-server only: `/chat/completions`, `/embeddings`, `/models` are aliases of
 *     their `/v1/...` forms (llama-server registers both). No recording for the path:
 *     404 in the flavor's *route* not-found shape (see `routeNotFound`).
 *  2. Key: the "match text" is, for `/v1/chat/completions`, the text of the LAST message
 *     whose role is "user" (string content, or the `text` parts of array content joined
 *     with "\n"); for `/v1/embeddings`, every string input joined with "\n".
 *     Recordings whose `match.key` (e.g. "#plain", "#tool-call", "#reasoning",
 *     "#reasoning-field", "#think-inline", "#json-schema", "#context-length",
 *     "#unavailable", "#rate-limit", "#model-not-found", "#midstream-error") occurs in the
 *     match text are candidates; when several keys occur, the LONGEST key wins
 *     (so "#reasoning-field" beats "#reasoning"). When no key occurs, only recordings
 *     without a key are candidates (the defaults: embeddings, /v1/models, health).
 *  3. Mode: a candidate's `match.stream` (if set) must equal the request's `stream === true`;
 *     its `match.includeUsage` (if set, stream requests only) must equal whether the
 *     request asked for `stream_options.include_usage` (vLLM: an explicit
 *     `stream_options` object defaults include_usage to true, as vLLM's StreamOptions does);
 *     its `match.encodingFormat` (if set) must equal the request's `encoding_format`
 *     ("float" when absent). Recordings without those fields (errors) match any mode.
 *  4. First remaining candidate by file name wins. None left: 404 in the flavor's API
 *     error shape (see `noRecording`), message starting with "replay: no recording".
 *
 * Replay details:
 *  - `model` echo: when the request names a model different from the recorded one, the
 *    top-level `model` field of the JSON body / of every SSE JSON payload is rewritten
 *    to the requested model (real servers echo it), unless the recording says
 *    `"rewriteModel": false`.
 *  - Embeddings: one item per input (string, string[], token array, token array[]),
 *    each derived from the recorded vector by a rotation chosen from a hash of the
 *    input (same input → same vector), with `index` = position; usage prompt/total
 *    tokens = Σ max(1, ceil(chars / 4)) (token arrays: their length). base64 items are
 *    little-endian float32, like all three servers produce.
 *  - SSE is written as the servers write it: `Content-Type: text/event-stream` from the
 *    recording, chunked transfer, each event `data: <payload>\n\n` including the final
 *    `data: [DONE]\n\n`. A recorded event `{ "field": "error", "value": "..." }` is written
 *    `error: <value>\n\n` — llama-server reports failures after the stream started with an
 *    SSE *error* field (not `data:`), then still sends `data: [DONE]`.
 *  - JSON bodies get Content-Length; Ollama's (Go json.Encoder) end with "\n"
 *    (`trailingNewline` in the recording).
 *
 * Behaviour knobs (`ReplayBehavior`, settable at start or via `setBehavior`):
 *  - failWith: answer EVERY request with this status/body/headers (body: string sent
 *    as-is, anything else JSON-encoded, default content-type application/json).
 *  - delayMs: wait before the first byte (status line) of any answer.
 *  - gate: a promise every answer waits for before its first byte (a test holds answers until it has seen
 *    what it wanted, e.g. every request of a burst admitted or refused, then resolves it).
 *  - chunkDelayMs: wait between SSE events.
 *  - hang: accept the request, read it, never answer (close() still tears it down).
 *  - dropAfterChunks: for SSE answers, destroy the socket after N events have been
 *    written (0 = right after the response headers).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type UpstreamFlavor = 'vllm' | 'llamacpp-server' | 'ollama';

export const UPSTREAM_FLAVORS: readonly UpstreamFlavor[] = ['vllm', 'llamacpp-server', 'ollama'];

/** A recorded SSE event: a `data:` payload string, or a raw `<field>: <value>` event. */
export type RecordedSseEvent = string | { field: string; value: string };

export interface Recording {
  /** File name inside the flavor folder, e.g. "tool-call.stream.json". */
  file: string;
  flavor: UpstreamFlavor;
  description: string;
  /** Where the shape comes from (repository: path). */
  source: string;
  match: {
    key?: string;
    stream?: boolean;
    includeUsage?: boolean;
    encodingFormat?: 'float' | 'base64';
  };
  /** Defaults to true: echo the requested model in replayed payloads. */
  rewriteModel?: boolean;
  request: { method: string; path: string; body?: unknown };
  response: {
    status: number;
    headers: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    sse?: RecordedSseEvent[];
    trailingNewline?: boolean;
  };
}

export interface RecordedRequest {
  method: string;
  /** Pathname without query string, as received. */
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw string when it is not JSON; undefined when empty. */
  body: unknown;
  /** File name of the recording that answered, or null (failWith, hang, 404...). */
  recording: string | null;
}

export interface ReplayBehavior {
  failWith?:
    | { status: number; body: unknown; headers?: Record<string, string> | undefined }
    | undefined;
  delayMs?: number | undefined;
  gate?: Promise<void> | undefined;
  chunkDelayMs?: number | undefined;
  hang?: boolean | undefined;
  dropAfterChunks?: number | undefined;
  /** Answer streams as a server that ignores stream_options does (older llama.cpp, TGI): never a usage chunk. */
  ignoreStreamOptions?: boolean | undefined;
}

export interface ReplayServer {
  /** Base URL including `/v1`, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** Origin without `/v1`, e.g. http://127.0.0.1:PORT */
  origin: string;
  port: number;
  flavor: UpstreamFlavor;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  recordings: readonly Recording[];
  /** Sockets currently open. */
  readonly openConnections: number;
  setBehavior(b: Partial<ReplayBehavior>): void;
  resetBehavior(): void;
  close(): Promise<void>;
}

export interface StartReplayServerOptions {
  flavor: UpstreamFlavor;
  behavior?: Partial<ReplayBehavior>;
  /** Defaults to <repo>/test/recordings */
  recordingsDir?: string;
  /** The port to listen on (a supervised child told its port); default: one the kernel picks. */
  port?: number;
  /** A Unix domain socket to listen on instead of a port (a supervised child told its socket, as llama-server is). */
  socketPath?: string;
}

const DEFAULT_RECORDINGS_DIR = fileURLToPath(new URL('../../recordings/', import.meta.url));

export function loadRecordings(
  flavor: UpstreamFlavor,
  dir: string = DEFAULT_RECORDINGS_DIR,
): Recording[] {
  const folder = join(dir, flavor);
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Omit<
        Recording,
        'file'
      >;
      return { ...parsed, file };
    });
}

// ------------------------------------------------------------------ error shapes

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonAnswer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  trailingNewline = false,
): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body) + (trailingNewline ? '\n' : ''),
  };
}

/** The server's own "no such route" answer. */
function routeNotFound(flavor: UpstreamFlavor): Answer {
  switch (flavor) {
    case 'vllm': // FastAPI/Starlette default
      return jsonAnswer(404, { detail: 'Not Found' }, { server: 'uvicorn' });
    case 'llamacpp-server': // server.cpp error handler: format_error_response("File Not Found", ERROR_TYPE_NOT_FOUND)
      return jsonAnswer(
        404,
        { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } },
        { 'content-type': 'application/json; charset=utf-8', server: 'llama.cpp' },
      );
    case 'ollama': // gin default 404
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found' };
  }
}

/** A known route, but nothing recorded for this request: the flavor's API error envelope. */
function apiError(flavor: UpstreamFlavor, status: number, message: string): Answer {
  switch (flavor) {
    case 'vllm':
      return jsonAnswer(
        status,
        {
          error: {
            message,
            type: status === 404 ? 'NotFoundError' : 'BadRequestError',
            param: null,
            code: status,
          },
        },
        { server: 'uvicorn' },
      );
    case 'llamacpp-server':
      return jsonAnswer(
        status,
        {
          error: {
            code: status,
            message,
            type: status === 404 ? 'not_found_error' : 'invalid_request_error',
          },
        },
        { 'content-type': 'application/json; charset=utf-8', server: 'llama.cpp' },
      );
    case 'ollama':
      return jsonAnswer(
        status,
        {
          error: {
            message,
            type: status === 404 ? 'not_found_error' : 'invalid_request_error',
            param: null,
            code: null,
          },
        },
        {},
        true,
      );
  }
}

function noRecording(flavor: UpstreamFlavor, why: string): Answer {
  return apiError(flavor, 404, `replay: no recording matches this request (${why})`);
}

// ------------------------------------------------------------------ matching helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function normalizePath(flavor: UpstreamFlavor, rawUrl: string): string {
  let p = rawUrl.split('?')[0] ?? '/';
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (
    flavor === 'llamacpp-server' &&
    (p === '/chat/completions' || p === '/embeddings' || p === '/models')
  )
    p = `/v1${p}`;
  return p;
}

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
      .filter((s) => s !== '')
      .join('\n');
  }
  return '';
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m: unknown = messages[i];
    if (isRecord(m) && m['role'] === 'user') return textOfContent(m['content']);
  }
  return '';
}

/** Normalized embedding inputs: strings, or token arrays. */
function embeddingInputs(body: Record<string, unknown>): (string | number[])[] {
  const input = body['input'];
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) {
    if (input.length === 0) return [];
    if (input.every((x) => typeof x === 'number')) return [input as number[]];
    return input.map((x: unknown) =>
      typeof x === 'string' ? x : Array.isArray(x) ? (x as number[]) : String(x),
    );
  }
  return [''];
}

function matchText(path: string, body: Record<string, unknown>): string {
  if (path === '/v1/chat/completions') return lastUserText(body);
  if (path === '/v1/embeddings')
    return embeddingInputs(body)
      .filter((x): x is string => typeof x === 'string')
      .join('\n');
  return '';
}

function wantsUsage(flavor: UpstreamFlavor, body: Record<string, unknown>): boolean {
  const so = body['stream_options'];
  if (!isRecord(so)) return false;
  if (flavor === 'vllm') return so['include_usage'] !== false && so['include_usage'] !== null;
  return so['include_usage'] === true;
}

interface MatchResult {
  recording: Recording | null;
  why: string;
  routeKnown: boolean;
}

function findRecording(
  flavor: UpstreamFlavor,
  recordings: readonly Recording[],
  method: string,
  path: string,
  body: unknown,
  ignoreStreamOptions = false,
): MatchResult {
  const onRoute = recordings.filter((r) => r.request.method === method && r.request.path === path);
  if (onRoute.length === 0)
    return { recording: null, why: `no recording for ${method} ${path}`, routeKnown: false };
  const b = isRecord(body) ? body : {};
  const text = matchText(path, b);
  const keyed = onRoute.filter((r) => r.match.key !== undefined && text.includes(r.match.key));
  let pool: Recording[];
  if (keyed.length > 0) {
    const longest = Math.max(...keyed.map((r) => (r.match.key ?? '').length));
    pool = keyed.filter((r) => (r.match.key ?? '').length === longest);
  } else {
    pool = onRoute.filter((r) => r.match.key === undefined);
  }
  const stream = b['stream'] === true;
  const includeUsage = stream && !ignoreStreamOptions && wantsUsage(flavor, b);
  const ef = b['encoding_format'];
  const encodingFormat = typeof ef === 'string' ? ef : 'float';
  const found = pool.find(
    (r) =>
      (r.match.stream === undefined || r.match.stream === stream) &&
      (r.match.includeUsage === undefined || !stream || r.match.includeUsage === includeUsage) &&
      (r.match.encodingFormat === undefined || r.match.encodingFormat === encodingFormat),
  );
  const keyDesc =
    keyed.length > 0 ? `key ${pool[0]?.match.key ?? ''}` : 'no match key in the last user message';
  return {
    recording: found ?? null,
    why: `${keyDesc}, stream=${String(stream)}, include_usage=${String(includeUsage)}, encoding_format=${encodingFormat}`,
    routeKnown: true,
  };
}

// ------------------------------------------------------------------ payload shaping

function withModel(value: unknown, model: string | undefined): unknown {
  if (
    model === undefined ||
    !isRecord(value) ||
    typeof value['model'] !== 'string' ||
    value['model'] === model
  )
    return value;
  return { ...value, model };
}

function rotate(vec: number[], by: number): number[] {
  if (vec.length === 0) return vec;
  const k = by % vec.length;
  return [...vec.slice(k), ...vec.slice(0, k)];
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function floatsToBase64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

function base64ToFloats(s: string): number[] {
  const buf = Buffer.from(s, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}

function buildEmbeddings(template: unknown, reqBody: Record<string, unknown>): unknown {
  if (!isRecord(template) || !Array.isArray(template['data'])) return template;
  const item: unknown = template['data'][0];
  if (!isRecord(item)) return template;
  const recorded = item['embedding'];
  const base =
    typeof recorded === 'string'
      ? base64ToFloats(recorded)
      : Array.isArray(recorded)
        ? (recorded as number[])
        : [];
  const inputs = embeddingInputs(reqBody);
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const key = typeof input === 'string' ? input : input.join(',');
    tokens +=
      typeof input === 'string'
        ? Math.max(1, Math.ceil(input.length / 4))
        : Math.max(1, input.length);
    const vec = rotate(base, hashString(key));
    return { ...item, embedding: typeof recorded === 'string' ? floatsToBase64(vec) : vec, index };
  });
  const out: Record<string, unknown> = { ...template, data };
  const usage = template['usage'];
  if (isRecord(usage)) out['usage'] = { ...usage, prompt_tokens: tokens, total_tokens: tokens };
  return out;
}

// ------------------------------------------------------------------ server

export async function startReplayServer(options: StartReplayServerOptions): Promise<ReplayServer> {
  const { flavor } = options;
  const recordings = loadRecordings(flavor, options.recordingsDir);
  let behavior: ReplayBehavior = { ...options.behavior };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

  const sleep = (ms: number | undefined): Promise<void> => {
    if (ms === undefined || ms <= 0 || closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      timers.add(entry);
    });
  };

  const gone = (res: ServerResponse): boolean =>
    closed || res.destroyed || res.socket === null || res.socket.destroyed;

  const sendAnswer = async (res: ServerResponse, a: Answer): Promise<void> => {
    await behavior.gate;
    await sleep(behavior.delayMs);
    if (gone(res)) return;
    res.writeHead(a.status, { ...a.headers, 'content-length': String(Buffer.byteLength(a.body)) });
    res.end(a.body);
  };

  const sendSse = async (
    res: ServerResponse,
    rec: Recording,
    events: RecordedSseEvent[],
    model: string | undefined,
  ): Promise<void> => {
    await behavior.gate;
    await sleep(behavior.delayMs);
    if (gone(res)) return;
    res.writeHead(rec.response.status, rec.response.headers);
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      const drop = behavior.dropAfterChunks;
      if (drop !== undefined && i >= drop) {
        res.socket?.destroy();
        return;
      }
      if (i > 0) await sleep(behavior.chunkDelayMs);
      if (gone(res)) return;
      const ev = events[i];
      if (ev === undefined) continue;
      if (typeof ev === 'string') {
        let payload = ev;
        if (model !== undefined && ev !== '[DONE]') {
          try {
            const parsed: unknown = JSON.parse(ev);
            const rewritten = withModel(parsed, model);
            if (rewritten !== parsed) payload = JSON.stringify(rewritten);
          } catch {
            /* not JSON: replay verbatim */
          }
        }
        res.write(`data: ${payload}\n\n`);
      } else {
        res.write(`${ev.field}: ${ev.value}\n\n`);
      }
    }
    const drop = behavior.dropAfterChunks;
    if (drop !== undefined && drop <= events.length) {
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const url = req.url ?? '/';
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
        badJson = true;
      }
    }
    const entry: RecordedRequest = {
      method,
      path: url.split('?')[0] ?? '/',
      url,
      headers: req.headers,
      body,
      recording: null,
    };
    requests.push(entry);

    if (behavior.hang === true) return; // never answer; close() destroys the socket
    const fail = behavior.failWith;
    if (fail !== undefined) {
      const text = typeof fail.body === 'string' ? fail.body : JSON.stringify(fail.body);
      await sendAnswer(res, {
        status: fail.status,
        headers: { 'content-type': 'application/json', ...fail.headers },
        body: text,
      });
      return;
    }

    const path = normalizePath(flavor, url);
    const m = findRecording(
      flavor,
      recordings,
      method,
      path,
      body,
      behavior.ignoreStreamOptions === true,
    );
    if (m.recording === null) {
      if (!m.routeKnown) await sendAnswer(res, routeNotFound(flavor));
      else if (badJson)
        await sendAnswer(res, apiError(flavor, 400, 'replay: request body is not valid JSON'));
      else await sendAnswer(res, noRecording(flavor, m.why));
      return;
    }
    const rec = m.recording;
    entry.recording = rec.file;
    const reqBody = isRecord(body) ? body : {};
    const model =
      rec.rewriteModel !== false && typeof reqBody['model'] === 'string'
        ? reqBody['model']
        : undefined;

    if (rec.response.sse !== undefined) {
      await sendSse(res, rec, rec.response.sse, model);
      return;
    }
    if (rec.response.rawBody !== undefined) {
      await sendAnswer(res, {
        status: rec.response.status,
        headers: rec.response.headers,
        body: rec.response.rawBody,
      });
      return;
    }
    let out = rec.response.body;
    if (path === '/v1/embeddings' && rec.response.status === 200)
      out = buildEmbeddings(out, reqBody);
    out = withModel(out, model);
    await sendAnswer(res, {
      status: rec.response.status,
      headers: rec.response.headers,
      body: JSON.stringify(out) + (rec.response.trailingNewline === true ? '\n' : ''),
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!gone(res) && !res.headersSent) {
          const a = apiError(
            flavor,
            400,
            `replay: ${err instanceof Error ? err.message : String(err)}`,
          );
          res.writeHead(500, a.headers);
          res.end(a.body);
        } else {
          res.socket?.destroy();
        }
      });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (options.socketPath !== undefined) server.listen(options.socketPath, listening);
    else server.listen(options.port ?? 0, '127.0.0.1', listening);
  });
  const address = server.address();
  if (address === null) throw new Error('replay server: unexpected address');
  // On a socket: no port, and the origin names the Host header a client sends (it connects to the socket).
  const port = typeof address === 'string' ? 0 : address.port;
  const origin = typeof address === 'string' ? 'http://localhost' : `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    port,
    flavor,
    requests,
    recordings,
    get openConnections() {
      return sockets.size;
    },
    setBehavior(b: Partial<ReplayBehavior>) {
      behavior = { ...behavior, ...b };
    },
    resetBehavior() {
      behavior = {};
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      const socketsClosed = [...sockets].map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once('close', () => resolve());
            s.destroy();
          }),
      );
      await Promise.all([done, ...socketsClosed]);
      sockets.clear();
    },
  };
}
