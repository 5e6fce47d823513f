/**
 * A test double of an AUTOMATIC1111 / Forge WebUI started with --api: a REAL HTTP server (node:http on
 * 127.0.0.1, port 0) answering the routes Rialto uses with the WebUI's request and response shapes, and
 * real images made with sharp.
 *
 * Protocol, from AUTOMATIC1111/stable-diffusion-webui (v1.9–1.10):
 *  - modules/api/api.py: POST /sdapi/v1/txt2img and /sdapi/v1/img2img (text2imgapi / img2imgapi: sampler
 *    checked with validate_sampler_name → 404 "Sampler not found"; img2img without init_images → 404
 *    "Init image not found"; undecodable base64 → 500 "Invalid encoded image"; add_task_to_queue(force_task_id),
 *    one job at a time under queue_lock, start_task / finish_task), POST /sdapi/v1/interrupt → {},
 *    GET /sdapi/v1/options, GET /sdapi/v1/sd-models (SDModelItem list). --api-auth is FastAPI HTTPBasic:
 *    401 with WWW-Authenticate: Basic. Errors go through api_middleware's handle_exception:
 *    {error, detail, body, errors}.
 *  - modules/api/models.py: TextToImageResponse / ImageToImageResponse = {images: [base64], parameters: the
 *    request, info: JSON string}. Unknown request fields are ignored (pydantic's default).
 *  - modules/processing.py: Processed.js() is `info` (seed, all_seeds = seed + i per image of the batch,
 *    index_of_first_image, …); seed -1 means random; the API sets do_not_save_grid, so no grid is returned.
 *  - modules/progress.py: POST /internal/progress {id_task} → {active, queued, completed, …}.
 *
 * The picture: a flat colour derived from (seed of the image, prompt) — `colorOf` — with a disc of the
 * opposite colour in the middle, at the requested size, in the server's samples_format (PNG). So tests can
 * read seed, prompt, size and count back from the images. img2img returns the init image stretched to the
 * requested size (resize_mode 0, "Just resize") under the seed's colour at `denoising_strength` opacity.
 *
 * Knobs (`behavior`): delayMs (a job takes this long, cut short by /interrupt), failWith (every txt2img /
 * img2img answers this status and body), auth (--api-auth user:pass), progressApi false (a fork without
 * /internal/progress), returnGrid (prepend a grid, index_of_first_image 1, as with save_images).
 */
import { createHash, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface RecordedA1111Request {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface A1111Behavior {
  delayMs?: number;
  failWith?: { status: number; body: unknown };
  auth?: { username: string; password: string };
  progressApi?: boolean;
  returnGrid?: boolean;
}

export const SAMPLERS = ['Euler a', 'Euler', 'DPM++ 2M', 'DPM++ SDE', 'DDIM', 'UniPC'];
export const CHECKPOINTS = [
  {
    title: 'sd_xl_base_1.0.safetensors [31e35c80fc]',
    model_name: 'sd_xl_base_1.0',
    hash: '31e35c80fc',
    sha256: '31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b',
    filename: '/webui/models/Stable-diffusion/sd_xl_base_1.0.safetensors',
    config: null,
  },
  {
    title: 'dreamshaper_8.safetensors [879db523c3]',
    model_name: 'dreamshaper_8',
    hash: '879db523c3',
    sha256: '879db523c30d3b9017143d56705015e15a2cb5628762c11d086fed9538abd7fd',
    filename: '/webui/models/Stable-diffusion/dreamshaper_8.safetensors',
    config: null,
  },
];

/** The flat colour of the image made with `seed` (the image's own seed: batch seed + index) and `prompt`. */
export function colorOf(seed: number, prompt: string): { r: number; g: number; b: number } {
  const digest = createHash('sha256').update(`${seed}\n${prompt}`).digest();
  return { r: digest[0]!, g: digest[1]!, b: digest[2]! };
}

async function picture(
  seed: number,
  prompt: string,
  width: number,
  height: number,
): Promise<Buffer> {
  const { r, g, b } = colorOf(seed, prompt);
  const radius = Math.max(1, Math.floor(Math.min(width, height) / 4));
  const disc = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${radius}" fill="rgb(${255 - r},${255 - g},${255 - b})"/></svg>`,
  );
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .composite([{ input: disc }])
    .png()
    .toBuffer();
}

function httpError(
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): { status: number; body: unknown; headers: Record<string, string> } {
  return {
    status,
    body: { error: 'HTTPException', detail, body: '', errors: `${status}: ${detail}` },
    headers,
  };
}

const int = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isInteger(value) ? value : fallback;

export class Automatic1111Server {
  readonly requests: RecordedA1111Request[] = [];
  behavior: A1111Behavior = {};
  /** Interrupts received, with the task that was running when each came. */
  readonly interrupts: (string | null)[] = [];
  private server: Server | undefined;
  private queue: Promise<void> = Promise.resolve();
  private currentTask: string | null = null;
  private readonly pendingTasks = new Set<string>();
  private readonly finishedTasks: string[] = [];
  private interruptCurrent: (() => void) | undefined;
  private checkpoint = CHECKPOINTS[0]!.title;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.interruptCurrent?.();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Recorded generation requests (txt2img and img2img), oldest first. */
  jobs(
    path: '/sdapi/v1/txt2img' | '/sdapi/v1/img2img' = '/sdapi/v1/txt2img',
  ): Record<string, unknown>[] {
    return this.requests
      .filter((request) => request.path === path)
      .map((request) => request.body ?? {});
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return send(response, 422, {
        detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }],
      });
    }
    const path = (request.url ?? '/').split('?')[0]!;
    this.requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    const refused = this.checkAuth(request.headers.authorization, path);
    if (refused !== undefined) return send(response, refused.status, refused.body, refused.headers);
    const answer = await this.route(`${request.method} ${path}`, body);
    send(response, answer.status, answer.body, answer.headers);
  }

  /** HTTPBasic on every /sdapi route when --api-auth is set (the /internal routes belong to the UI). */
  private checkAuth(
    header: string | undefined,
    path: string,
  ): ReturnType<typeof httpError> | undefined {
    const auth = this.behavior.auth;
    if (auth === undefined || !path.startsWith('/sdapi/')) return undefined;
    const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (match === null) return httpError(401, 'Not authenticated', { 'www-authenticate': 'Basic' });
    const [username, ...rest] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
    if (username !== auth.username || rest.join(':') !== auth.password)
      return httpError(401, 'Incorrect username or password', { 'www-authenticate': 'Basic' });
    return undefined;
  }

  private async route(
    route: string,
    body: Record<string, unknown> | undefined,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    switch (route) {
      case 'GET /sdapi/v1/sd-models':
        return { status: 200, body: CHECKPOINTS };
      case 'GET /sdapi/v1/options':
        return {
          status: 200,
          body: {
            sd_model_checkpoint: this.checkpoint,
            samples_format: 'png',
            return_grid: true,
            grid_only_if_multiple: true,
            enable_pnginfo: true,
          },
        };
      case 'POST /sdapi/v1/interrupt':
        this.interrupts.push(this.currentTask);
        this.interruptCurrent?.();
        return { status: 200, body: {} };
      case 'POST /internal/progress': {
        if (this.behavior.progressApi === false)
          return { status: 404, body: { detail: 'Not Found' } };
        const id = String(body?.id_task ?? '');
        const active = id === this.currentTask;
        const queued = this.pendingTasks.has(id);
        return {
          status: 200,
          body: {
            active,
            queued,
            completed: this.finishedTasks.includes(id),
            progress: active ? 0.5 : null,
            eta: null,
            live_preview: null,
            id_live_preview: -1,
            textinfo: queued ? 'Queued...' : 'Waiting...',
          },
        };
      }
      case 'POST /sdapi/v1/txt2img':
      case 'POST /sdapi/v1/img2img':
        return this.generate(route.endsWith('img2img'), body ?? {});
      default:
        return { status: 404, body: { detail: 'Not Found' } };
    }
  }

  private async generate(
    img2img: boolean,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    if (this.behavior.failWith !== undefined) return this.behavior.failWith;
    for (const field of ['prompt', 'negative_prompt', 'sampler_name'] as const) {
      if (body[field] !== undefined && body[field] !== null && typeof body[field] !== 'string') {
        return {
          status: 422,
          body: {
            detail: [
              {
                type: 'string_type',
                loc: ['body', field],
                msg: 'Input should be a valid string',
                input: body[field],
              },
            ],
          },
        };
      }
    }
    const sampler = typeof body.sampler_name === 'string' ? body.sampler_name : 'Euler';
    if (!SAMPLERS.includes(sampler)) return httpError(404, 'Sampler not found');
    if (img2img && !Array.isArray(body.init_images)) return httpError(404, 'Init image not found');
    const taskId =
      typeof body.force_task_id === 'string' ? body.force_task_id : `task(${randomInt(1e9)})`;
    this.pendingTasks.add(taskId);
    // queue_lock: one job at a time, in arrival order.
    const turn = this.queue.then(() => this.run(img2img, body, sampler, taskId));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async run(
    img2img: boolean,
    body: Record<string, unknown>,
    sampler: string,
    taskId: string,
  ): Promise<{ status: number; body: unknown }> {
    this.pendingTasks.delete(taskId);
    this.currentTask = taskId;
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.behavior.delayMs ?? 0);
        this.interruptCurrent = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      const width = int(body.width, 512);
      const height = int(body.height, 512);
      const count = int(body.batch_size, 1) * int(body.n_iter, 1);
      const seed = int(body.seed, -1) === -1 ? randomInt(4_294_967_294) : int(body.seed, 0);
      const seeds = Array.from({ length: count }, (_, index) => seed + index);
      let images: Buffer[];
      if (img2img) {
        const init = String((body.init_images as unknown[])[0] ?? '').replace(
          /^data:image\/[^;]+;base64,/,
          '',
        );
        const strength =
          typeof body.denoising_strength === 'number' ? body.denoising_strength : 0.75;
        try {
          images = await Promise.all(
            seeds.map(async (imageSeed) => {
              const { r, g, b } = colorOf(imageSeed, prompt);
              const veil = await sharp({
                create: { width, height, channels: 4, background: { r, g, b, alpha: strength } },
              })
                .png()
                .toBuffer();
              return sharp(Buffer.from(init, 'base64'), { failOn: 'error' })
                .resize(width, height, { fit: 'fill' })
                .composite([{ input: veil }])
                .png()
                .toBuffer();
            }),
          );
        } catch {
          return {
            status: 500,
            body: {
              error: 'HTTPException',
              detail: 'Invalid encoded image',
              body: '',
              errors: '500: Invalid encoded image',
            },
          };
        }
      } else {
        images = await Promise.all(
          seeds.map((imageSeed) => picture(imageSeed, prompt, width, height)),
        );
      }
      let firstImage = 0;
      if (this.behavior.returnGrid === true && images.length > 1) {
        images = [
          await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } })
            .png()
            .toBuffer(),
          ...images,
        ];
        firstImage = 1;
      }
      const checkpoint = (body.override_settings as { sd_model_checkpoint?: unknown } | undefined)
        ?.sd_model_checkpoint;
      const info = {
        prompt,
        all_prompts: seeds.map(() => prompt),
        negative_prompt: body.negative_prompt ?? '',
        all_negative_prompts: seeds.map(() => body.negative_prompt ?? ''),
        seed,
        all_seeds: seeds,
        subseed: -1,
        all_subseeds: seeds.map(() => -1),
        subseed_strength: 0,
        width,
        height,
        sampler_name: sampler,
        cfg_scale: body.cfg_scale ?? 7,
        steps: body.steps ?? 50,
        batch_size: int(body.batch_size, 1),
        restore_faces: null,
        face_restoration_model: null,
        sd_model_name:
          typeof checkpoint === 'string'
            ? checkpoint.replace(/\.safetensors.*$/, '')
            : CHECKPOINTS[0]!.model_name,
        sd_model_hash: CHECKPOINTS[0]!.hash,
        sd_vae_name: null,
        sd_vae_hash: null,
        seed_resize_from_w: -1,
        seed_resize_from_h: -1,
        denoising_strength: body.denoising_strength ?? null,
        extra_generation_params: {},
        index_of_first_image: firstImage,
        infotexts: seeds.map(
          (imageSeed) =>
            `${prompt}\nSteps: ${String(body.steps ?? 50)}, Sampler: ${sampler}, Seed: ${imageSeed}, Size: ${width}x${height}`,
        ),
        styles: [],
        job_timestamp: '20260101000000',
        clip_skip: 1,
        is_using_inpainting_conditioning: false,
        version: 'v1.10.1',
      };
      const parameters = { ...body, init_images: img2img ? null : undefined };
      return {
        status: 200,
        body: {
          images: images.map((image) => image.toString('base64')),
          parameters,
          info: JSON.stringify(info),
        },
      };
    } finally {
      this.interruptCurrent = undefined;
      this.currentTask = null;
      this.finishedTasks.push(taskId);
    }
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function startAutomatic1111Server(
  behavior: A1111Behavior = {},
): Promise<Automatic1111Server> {
  const server = new Automatic1111Server();
  server.behavior = behavior;
  return server.start();
}

/** A URL where nothing listens (a port that was just free): an A1111 that is down. */
export async function unusedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}
