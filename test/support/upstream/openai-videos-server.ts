/**
 * OpenAI videos server: a REAL HTTP server (node:http on 127.0.0.1, port 0) speaking OpenAI's `/v1/videos`
 * API (Sora 2), the protocol of engines/openai-compatible/openai-video-engine.ts.
 *
 * Sources of the protocol:
 *  - openai-node 6.49 (node_modules/openai/resources/videos.d.ts and videos.js): the Video object (id, object
 *    'video', status queued | in_progress | completed | failed, progress 0..100, seconds, size, model,
 *    error {code, message}, created_at, completed_at, expires_at, prompt, remixed_from_video_id); create =
 *    POST /videos as multipart/form-data (model, prompt, seconds '4' | '8' | '12', size '720x1280' |
 *    '1280x720' | '1024x1792' | '1792x1024', input_reference file or {image_url}); retrieve = GET
 *    /videos/{id}; content = GET /videos/{id}/content?variant=video with Accept: application/binary;
 *    delete = DELETE /videos/{id} → {id, object: 'video.deleted', deleted: true}.
 *  - OpenAI's guide https://developers.openai.com/api/docs/guides/video-generation: create returns the job
 *    queued, it is polled until completed, then the MP4 is downloaded; seconds default 4, size 720x1280.
 *  - Error codes: `moderation_blocked` ("Your request was blocked by our moderation system.", a failed
 *    Video) as quoted in https://community.openai.com/t/sora-2-pro-moderation-block/1372868; `sentinel_block`
 *    (a 400 invalid_request_error at create) and the 400 for an input_reference whose size is not `size`
 *    ("Inpaint image must match the requested width and height") as documented by Sora 2 API resellers
 *    (help.apiyi.com, docs.apiyi.com/api-capabilities/sora-2/image-to-video).
 *  - OpenAI's error envelope {error: {message, type, param, code}} for every failing status.
 * Choices where the sources are silent: content of a video that is not completed is 404 `video_not_ready`;
 * a generic failure is the code `video_generation_failed`; deleting a running video is a 400.
 *
 * Behaviour: each GET /videos/{id} moves a video one step: the first poll says queued, the next ones
 * in_progress with rising progress, poll `pollsToComplete` completed (or failed, by prompt). The MP4 is
 * made once per process with ffmpeg (lavfi testsrc, 1 s, 160x90, H.264). Failing on request: a prompt with
 * `#moderation` fails with moderation_blocked, `#fail` with a generic failure, `#sentinel` is refused at
 * create; `failNext(n, status)` answers the next n requests with that status; `down()` / `up()` close and
 * reopen the port (connections refused meanwhile). Every request is recorded in `calls`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

export interface RecordedVideoCall {
  method: string;
  /** The path without the query, e.g. /v1/videos/video_123/content. */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  accept: string | undefined;
  contentType: string | undefined;
  /** Text fields of a create (multipart or JSON). */
  fields: Record<string, string>;
  /** input_reference of a create: its type and decoded size. */
  reference?: { contentType: string; width: number; height: number; bytes: number };
}

interface StoredVideo {
  id: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  createdAt: number;
  polls: number;
  deleted: boolean;
}

export interface OpenAiVideosServerOptions {
  /** Polls of a video up to and including the one that reports it completed (default 3, at least 2). */
  pollsToComplete?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  seconds?: string[];
  sizes?: string[];
}

export interface OpenAiVideosServer {
  /** The API's base URL, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  calls: RecordedVideoCall[];
  /** The bytes every completed video serves. */
  mp4: Buffer;
  videos: Map<string, StoredVideo>;
  /** The next `count` requests answer `status` (default 500) with OpenAI's server_error body. */
  failNext(count: number, status?: number): void;
  /** Stops listening and drops open connections: requests are refused until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

let mp4Made: Promise<Buffer> | undefined;

/** A 1-second 160x90 H.264 MP4 of ffmpeg's test pattern, made once per process. */
export function testMp4(): Promise<Buffer> {
  mp4Made ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rialto-mp4-'));
    const path = join(directory, 'testsrc.mp4');
    try {
      await promisify(execFile)('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x90:rate=10:duration=1',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        path,
      ]);
      return await readFile(path);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  })();
  return mp4Made;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function openAiError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): void {
  send(response, status, { error: { message, type, param, code } });
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The create's fields and reference image, from multipart (as the SDK sends) or JSON. */
async function createFields(
  request: IncomingMessage,
  body: Buffer,
): Promise<{ fields: Record<string, string>; reference?: { contentType: string; bytes: Buffer } }> {
  const type = request.headers['content-type'] ?? '';
  const fields: Record<string, string> = {};
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://upstream/', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    }).formData();
    let reference: { contentType: string; bytes: Buffer } | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') fields[name] = value;
      else if (name === 'input_reference')
        reference = { contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
    }
    return reference === undefined ? { fields } : { fields, reference };
  }
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  for (const [name, value] of Object.entries(json))
    if (typeof value === 'string' || typeof value === 'number') fields[name] = String(value);
  const imageUrl = (json.input_reference as { image_url?: unknown } | undefined)?.image_url;
  const match = typeof imageUrl === 'string' ? /^data:([^;,]+);base64,(.*)$/s.exec(imageUrl) : null;
  return match === null
    ? { fields }
    : { fields, reference: { contentType: match[1]!, bytes: Buffer.from(match[2]!, 'base64') } };
}

export async function startOpenAiVideosServer(
  options: OpenAiVideosServerOptions = {},
): Promise<OpenAiVideosServer> {
  const mp4 = await testMp4();
  const pollsToComplete = Math.max(2, options.pollsToComplete ?? 3);
  const allowedSeconds = options.seconds ?? ['4', '8', '12'];
  const allowedSizes = options.sizes ?? ['720x1280', '1280x720', '1024x1792', '1792x1024'];
  const calls: RecordedVideoCall[] = [];
  const videos = new Map<string, StoredVideo>();
  let failures: { count: number; status: number } = { count: 0, status: 500 };

  const videoObject = (video: StoredVideo): Record<string, unknown> => {
    const finished = video.polls >= pollsToComplete;
    const failedCode = !finished
      ? undefined
      : video.prompt.includes('#moderation')
        ? 'moderation_blocked'
        : video.prompt.includes('#fail')
          ? 'video_generation_failed'
          : undefined;
    const status =
      video.polls === 0 || video.polls === 1
        ? 'queued'
        : !finished
          ? 'in_progress'
          : failedCode === undefined
            ? 'completed'
            : 'failed';
    const progress =
      status === 'completed'
        ? 100
        : status === 'in_progress'
          ? Math.floor((100 * (video.polls - 1)) / (pollsToComplete - 1))
          : 0;
    const error =
      failedCode === 'moderation_blocked'
        ? { code: failedCode, message: 'Your request was blocked by our moderation system.' }
        : failedCode === undefined
          ? null
          : { code: failedCode, message: 'Video generation failed.' };
    const completedAt =
      status === 'completed' || status === 'failed' ? video.createdAt + video.polls : null;
    return {
      id: video.id,
      object: 'video',
      model: video.model,
      status,
      progress,
      created_at: video.createdAt,
      completed_at: completedAt,
      expires_at: status === 'completed' ? video.createdAt + 3600 : null,
      error,
      prompt: video.prompt,
      remixed_from_video_id: null,
      seconds: video.seconds,
      size: video.size,
    };
  };

  const create = async (
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
    call: RecordedVideoCall,
  ): Promise<void> => {
    const { fields, reference } = await createFields(request, body);
    call.fields = fields;
    const prompt = fields.prompt ?? '';
    if (prompt === '')
      return openAiError(
        response,
        400,
        "Missing required parameter: 'prompt'.",
        'invalid_request_error',
        'missing_required_parameter',
        'prompt',
      );
    const seconds = fields.seconds ?? '4';
    if (!allowedSeconds.includes(seconds))
      return openAiError(
        response,
        400,
        `Invalid value: '${seconds}'. Supported values are: ${allowedSeconds.map((value) => `'${value}'`).join(', ')}.`,
        'invalid_request_error',
        'invalid_value',
        'seconds',
      );
    const size = fields.size ?? '720x1280';
    if (!allowedSizes.includes(size))
      return openAiError(
        response,
        400,
        `Invalid value: '${size}'. Supported values are: ${allowedSizes.map((value) => `'${value}'`).join(', ')}.`,
        'invalid_request_error',
        'invalid_value',
        'size',
      );
    if (reference !== undefined) {
      const metadata = await sharp(reference.bytes)
        .metadata()
        .catch(() => undefined);
      if (metadata?.width === undefined || metadata.height === undefined)
        return openAiError(
          response,
          400,
          'The input_reference is not a valid image.',
          'invalid_request_error',
          'invalid_image',
          'input_reference',
        );
      call.reference = {
        contentType: reference.contentType,
        width: metadata.width,
        height: metadata.height,
        bytes: reference.bytes.length,
      };
      if (`${metadata.width}x${metadata.height}` !== size)
        return openAiError(
          response,
          400,
          'Inpaint image must match the requested width and height',
          'invalid_request_error',
          null,
          'input_reference',
        );
    }
    if (prompt.includes('#sentinel')) {
      return openAiError(
        response,
        400,
        "Hmmm something didn't look right with your request. Please try again later or visit https://help.openai.com if this issue persists.",
        'invalid_request_error',
        'sentinel_block',
      );
    }
    const video: StoredVideo = {
      id: `video_${randomBytes(24).toString('hex')}`,
      model: fields.model ?? 'sora-2',
      prompt,
      seconds,
      size,
      createdAt: Math.floor(Date.now() / 1000),
      polls: 0,
      deleted: false,
    };
    videos.set(video.id, video);
    send(response, 200, videoObject(video));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://upstream');
    const body = await readBody(request);
    const call: RecordedVideoCall = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      accept: request.headers.accept,
      contentType: request.headers['content-type'],
      fields: {},
    };
    calls.push(call);
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      return openAiError(
        response,
        failures.status,
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
    }
    if (
      options.apiKey !== undefined &&
      request.headers.authorization !== `Bearer ${options.apiKey}`
    ) {
      return openAiError(
        response,
        401,
        'Incorrect API key provided.',
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (call.method === 'GET' && url.pathname === '/v1/models') {
      return send(response, 200, {
        object: 'list',
        data: [{ id: 'sora-2', object: 'model', created: 0, owned_by: 'system' }],
      });
    }
    if (call.method === 'POST' && url.pathname === '/v1/videos')
      return create(request, body, response, call);
    const match = /^\/v1\/videos\/([^/]+)(\/content)?$/.exec(url.pathname);
    const video = match === null ? undefined : videos.get(decodeURIComponent(match[1]!));
    if (match === null)
      return openAiError(
        response,
        404,
        `Invalid URL (${call.method} ${url.pathname})`,
        'invalid_request_error',
      );
    if (video === undefined || video.deleted)
      return openAiError(
        response,
        404,
        `Video with id '${match[1]}' not found.`,
        'invalid_request_error',
        'video_not_found',
      );
    if (call.method === 'GET' && match[2] === undefined) {
      video.polls += 1;
      return send(response, 200, videoObject(video));
    }
    if (call.method === 'GET') {
      const variant = url.searchParams.get('variant') ?? 'video';
      if (variant !== 'video')
        return openAiError(
          response,
          400,
          `Variant '${variant}' is not available.`,
          'invalid_request_error',
          'invalid_value',
          'variant',
        );
      if (videoObject(video).status !== 'completed')
        return openAiError(
          response,
          404,
          'Video is not ready yet.',
          'invalid_request_error',
          'video_not_ready',
        );
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': mp4.length });
      return void response.end(mp4);
    }
    if (call.method === 'DELETE') {
      const status = videoObject(video).status;
      if (status !== 'completed' && status !== 'failed')
        return openAiError(
          response,
          400,
          'Only completed or failed videos can be deleted.',
          'invalid_request_error',
        );
      video.deleted = true;
      return send(response, 200, { id: video.id, object: 'video.deleted', deleted: true });
    }
    return openAiError(response, 405, `Method ${call.method} not allowed`, 'invalid_request_error');
  };

  let server: Server | undefined;
  let port = 0;
  const up = async (): Promise<void> => {
    const started = createServer((request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          openAiError(
            response,
            500,
            `test double failed: ${(error as Error).message}`,
            'server_error',
          );
      });
    });
    await new Promise<void>((resolve) => started.listen(port, '127.0.0.1', resolve));
    port = (started.address() as AddressInfo).port;
    server = started;
  };
  const down = async (): Promise<void> => {
    const stopping = server;
    server = undefined;
    if (stopping === undefined) return;
    const closed = new Promise<void>((resolve) => stopping.close(() => resolve()));
    stopping.closeAllConnections();
    await closed;
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    mp4,
    videos,
    failNext: (count, status = 500) => {
      failures = { count, status };
    },
    down,
    up,
    close: down,
  };
}
