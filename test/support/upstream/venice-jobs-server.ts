/**
 * A test double of the Venice job API (another Venice server a `venice` engine relays to): a REAL HTTP server
 * (node:http on 127.0.0.1, port 0) under /api/v1, with the swagger's shapes (spec/venice-swagger.yaml):
 *  - POST /video/queue → {model, queue_id[, download_url]}; POST /audio/queue → {model, queue_id, status: "QUEUED"};
 *    422 ContentViolationError {error} for a refused prompt; 400 DetailedError without model or prompt (an
 *    upscale job, a video_url without a prompt, takes none).
 *  - POST /video/retrieve and /audio/retrieve {model, queue_id} → 200 JSON {status: "PROCESSING",
 *    average_execution_time, execution_duration} while the job runs, then the media (video/mp4, audio/mpeg, in
 *    several chunks), or, for private models, JSON {status: "COMPLETED", …} and the media at the download_url
 *    (GET without a key; DELETE revokes it). 404 {error} for an unknown job or another model's; 422
 *    ProviderContentPolicyError (video) / ContentViolationError (audio) for a moderated job; 500 StandardError
 *    "Inference processing failed" for a failed one.
 *  - POST /video/complete and /audio/complete → {success: true}, the job forgotten (retrieve is 404 after).
 *  - GET /models → {object: "list", type: "text", data: []}. Every /api/v1 route wants the Bearer key, if set.
 * The media are real: an H.264 MP4 from ffmpeg's lavfi testsrc and an MP3 of a sine tone, made at start.
 *
 * Knobs: `pollsUntilDone` (retrieves answered PROCESSING before the outcome), `holding` (jobs stay PROCESSING
 * until it is cleared), `downloadUrl` (private-model delivery of videos), `answerWith`
 * (every call answers a given status and body), `down()` / `up()` (the port stops answering:
 * connections are refused, then accepted again). A job's outcome comes from its prompt: FAIL_MARKERS.
 * Every request is recorded in `calls`.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Prompt markers: a job whose prompt holds one ends that way. */
export const FAIL_MARKERS = {
  moderation: '[moderate]',
  failure: '[fail]',
  rejectAtQueue: '[reject]',
} as const;
export const MEDIA_NOT_FOUND =
  'Media could not be found. Request may be invalid, expired, or deleted.';
const POLICY = 'Your prompt violates the content policy of Venice.ai or the model provider';

export interface RecordedCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface VeniceJobsOptions {
  /** The Bearer key every /api/v1 route wants; absent: any. */
  apiKey?: string;
  /** Retrieves answered PROCESSING before a job's outcome (default 2). */
  pollsUntilDone?: number;
  /** Private-model delivery: queue answers a download_url, retrieve answers JSON COMPLETED when done. */
  downloadUrl?: boolean;
}

interface UpstreamJob {
  id: string;
  kind: 'video' | 'audio';
  model: string;
  prompt: string;
  queuedAt: number;
  polls: number;
  token: string;
  revoked: boolean;
}

/** An H.264 MP4 (1 s of testsrc, 160×90) and an MP3 (1 s of 440 Hz), made with ffmpeg. */
async function makeMedia(): Promise<{ video: Buffer; audio: Buffer }> {
  const folder = await mkdtemp(join(tmpdir(), 'venice-jobs-media-'));
  try {
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=1:size=160x90:rate=10',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      join(folder, 'video.mp4'),
    ]);
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=1',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '64k',
      join(folder, 'audio.mp3'),
    ]);
    return {
      video: await readFile(join(folder, 'video.mp4')),
      audio: await readFile(join(folder, 'audio.mp3')),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Made once per process: every server serves the same files. */
let made: Promise<{ video: Buffer; audio: Buffer }> | undefined;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export class VeniceJobsServer {
  readonly calls: RecordedCall[] = [];
  /** While true, every job answers PROCESSING. */
  holding = false;
  /** While set, every /api/v1 call answers this status and body (a busy or failing upstream). */
  answerWith: { status: number; body: unknown } | undefined;
  private readonly jobs = new Map<string, UpstreamJob>();
  /** download_url tokens; they outlive /complete (the link is valid until revoked or expired). */
  private readonly shares = new Map<string, UpstreamJob>();
  private port = 0;

  private constructor(
    private readonly server: Server,
    readonly video: Buffer,
    readonly audio: Buffer,
    private readonly options: VeniceJobsOptions,
  ) {}

  static async start(options: VeniceJobsOptions = {}): Promise<VeniceJobsServer> {
    const { video, audio } = await (made ??= makeMedia());
    let instance: VeniceJobsServer | undefined;
    const server = createServer((request, response) => {
      instance!
        .handle(request, response)
        .catch((error: unknown) => send(response, 500, { error: String(error) }));
    });
    instance = new VeniceJobsServer(server, video, audio, options);
    await instance.up();
    return instance;
  }

  /** The API's base URL, as a `venice` engine endpoint takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Queue calls whose prompt is `prompt`. */
  queuesFor(prompt: string): RecordedCall[] {
    return this.calls.filter(
      (call) => call.path.endsWith('/queue') && call.body?.prompt === prompt,
    );
  }

  callsTo(path: string): RecordedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** The upstream queue_id of the job queued with `prompt` (undefined before it is queued). */
  queueIdOf(prompt: string): string | undefined {
    return [...this.jobs.values()].find((job) => job.prompt === prompt)?.id;
  }

  /** Stops listening and drops open connections: calls are refused until up(). */
  async down(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Listens (again) on the same port. */
  async up(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = await readJson(request);
    this.calls.push({
      method: request.method ?? 'GET',
      path,
      authorization: request.headers.authorization,
      body,
    });
    const share = /^\/share\/read\/([\w-]+)$/.exec(path);
    if (share !== null) return this.serveShare(request.method ?? 'GET', share[1]!, response);
    if (!path.startsWith('/api/v1/')) return send(response, 404, { error: 'Not found' });
    if (this.answerWith !== undefined)
      return send(response, this.answerWith.status, this.answerWith.body);
    if (
      this.options.apiKey !== undefined &&
      request.headers.authorization !== `Bearer ${this.options.apiKey}`
    )
      return send(response, 401, { error: 'Authentication failed' });
    const route = /^\/api\/v1\/(video|audio)\/(queue|retrieve|complete)$/.exec(path);
    if (request.method === 'GET' && path === '/api/v1/models')
      return send(response, 200, { object: 'list', type: 'text', data: [] });
    if (request.method !== 'POST' || route === null)
      return send(response, 404, { error: 'The requested endpoint does not exist' });
    const kind = route[1] as 'video' | 'audio';
    if (route[2] === 'queue') return this.queue(kind, body ?? {}, response);
    const job = typeof body?.queue_id === 'string' ? this.jobs.get(body.queue_id) : undefined;
    if (job === undefined || job.kind !== kind || job.model !== body?.model)
      return send(response, 404, { error: MEDIA_NOT_FOUND });
    if (route[2] === 'complete') {
      this.jobs.delete(job.id);
      return send(response, 200, { success: true });
    }
    return this.retrieve(job, response);
  }

  private queue(
    kind: 'video' | 'audio',
    body: Record<string, unknown>,
    response: ServerResponse,
  ): void {
    const { model } = body;
    // video-upscaling.mdx: an upscale job (video_url and no prompt) "does not use text prompts".
    const upscale = kind === 'video' && typeof body.video_url === 'string' && !('prompt' in body);
    const prompt = upscale ? '' : body.prompt;
    if (typeof model !== 'string' || typeof prompt !== 'string' || (prompt === '' && !upscale)) {
      return send(response, 400, {
        error: 'Invalid request parameters',
        details: {
          _errors: [],
          ...(typeof prompt === 'string' && prompt !== ''
            ? {}
            : { prompt: { _errors: ['Required'] } }),
        },
      });
    }
    if (prompt.includes(FAIL_MARKERS.rejectAtQueue)) return send(response, 422, { error: POLICY });
    const job: UpstreamJob = {
      id: randomUUID(),
      kind,
      model,
      prompt,
      queuedAt: Date.now(),
      polls: 0,
      token: randomUUID(),
      revoked: false,
    };
    this.jobs.set(job.id, job);
    if (this.private(job)) this.shares.set(job.token, job);
    const downloadUrl = this.private(job)
      ? { download_url: `http://127.0.0.1:${this.port}/share/read/${job.token}` }
      : {};
    send(
      response,
      200,
      kind === 'video'
        ? { model, queue_id: job.id, ...downloadUrl }
        : { model, queue_id: job.id, status: 'QUEUED' },
    );
  }

  private retrieve(job: UpstreamJob, response: ServerResponse): void {
    const timing = { average_execution_time: 2000, execution_duration: Date.now() - job.queuedAt };
    if (this.holding || job.polls < (this.options.pollsUntilDone ?? 2)) {
      job.polls += 1;
      return send(response, 200, { status: 'PROCESSING', ...timing });
    }
    if (job.prompt.includes(FAIL_MARKERS.moderation)) {
      const message =
        'The selected model provider rejected this request due to its content policies. Credits have been refunded.';
      return send(
        response,
        422,
        job.kind === 'video'
          ? { error: { message, type: 'provider_content_policy', credits_refunded: true } }
          : { error: POLICY },
      );
    }
    if (job.prompt.includes(FAIL_MARKERS.failure))
      return send(response, 500, { error: 'Inference processing failed' });
    if (this.private(job)) return send(response, 200, { status: 'COMPLETED', ...timing });
    this.sendMedia(job, response);
  }

  /** Private-model delivery (video only: the swagger's audio API has no download_url). */
  private private(job: UpstreamJob): boolean {
    return this.options.downloadUrl === true && job.kind === 'video';
  }

  /** The media in 4 KiB chunks, so the reader sees a stream. */
  private sendMedia(job: UpstreamJob, response: ServerResponse): void {
    const media = job.kind === 'video' ? this.video : this.audio;
    response.writeHead(200, {
      'content-type': job.kind === 'video' ? 'video/mp4' : 'audio/mpeg',
      'content-length': media.length,
    });
    for (let offset = 0; offset < media.length; offset += 4096)
      response.write(media.subarray(offset, offset + 4096));
    response.end();
  }

  private serveShare(method: string, token: string, response: ServerResponse): void {
    const job = this.shares.get(token);
    if (job === undefined || job.revoked) return send(response, 404, { error: MEDIA_NOT_FOUND });
    if (method === 'DELETE') {
      job.revoked = true;
      response.writeHead(204).end();
      return;
    }
    this.sendMedia(job, response);
  }
}
