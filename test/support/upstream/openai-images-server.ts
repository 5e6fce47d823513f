/**
 * A REAL HTTP server (node:http on 127.0.0.1, port 0) speaking OpenAI's images API the way two kinds of
 * upstream do, making real images with sharp:
 *
 * - flavor `openai` (api.openai.com): POST /v1/images/generations (JSON) and POST /v1/images/edits
 *   (multipart/form-data: `image`, or `image[]` repeated, the encoding openai-node uses for an array,
 *   node_modules/openai/internal/uploads.js). Field names, sizes and defaults from
 *   node_modules/openai/resources/images.d.ts (ImageGenerateParamsBase, ImageEditParamsBase, ImagesResponse).
 *   Like OpenAI it refuses unknown parameters (400 `unknown_parameter`) and refuses `response_format` from the
 *   GPT image models, which always answer base64 (the body reported in vercel/ai#6102 and
 *   CherryHQ/cherry-studio#14579); DALL·E answers a URL unless asked for b64_json. DALL·E 2 takes one image
 *   and three square sizes.
 * - flavor `localai` (mudler/LocalAI): POST /v1/images/generations only (core/http/routes/openai.go registers
 *   no /images/edits), taking extra fields (seed, step) and input images as base64 in `file` / `ref_images`
 *   (core/http/endpoints/openai/image.go); answers a URL under /generated-images/ unless response_format is
 *   "b64_json". Errors are {"error":{"code","message","type"}} (core/schema).
 *
 * Images are deterministic: a generation is the colour promptColor(prompt, index) with the top-left quarter
 * in the inverse colour; an edit is the pixel mean of every input image (each resized to the size) negated,
 * so a test can tell that its images reached the upstream. GET /v1/models lists the models.
 *
 * With `urlsOnly` every image is answered by URL, as servers that only do URLs answer.
 *
 * Failures: a prompt containing `#forbidden` is refused as OpenAI refuses it (400 content_policy_violation,
 * or moderation_blocked for GPT image models); failNext() answers the next image requests with a given
 * status and body; hangNext() reads the next one and never answers; down() stops listening. Every image
 * request is recorded (JSON body, or multipart fields and files), with whether the client went away.
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import sharp from 'sharp';
import { listenOnLoopback } from './listen-on-loopback.ts';

export type ImagesFlavor = 'openai' | 'localai';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedImageRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body (generations; LocalAI edits). */
  json?: Record<string, unknown>;
  /** Multipart text fields by name, every value in order (OpenAI edits). */
  fields?: Record<string, string[]>;
  /** Multipart file parts, in order. */
  files?: RecordedFile[];
  /** The client closed the connection before the answer. */
  aborted: boolean;
}

export interface Failure {
  status: number;
  body: unknown;
}

/** OpenAI's 500 body. */
export const SERVER_ERROR: Failure = {
  status: 500,
  body: {
    error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
};

/** OpenAI's refusal of a DALL·E prompt (TheoKanning/openai-java#446 quotes the message). */
export const CONTENT_POLICY: Failure = {
  status: 400,
  body: {
    error: {
      message:
        'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
      type: 'invalid_request_error',
      param: null,
      code: 'content_policy_violation',
    },
  },
};

const GPT_IMAGE = /^(gpt-image|chatgpt-image)/;
const GENERATION_FIELDS = new Set([
  'prompt',
  'model',
  'n',
  'size',
  'quality',
  'response_format',
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'style',
  'user',
  'partial_images',
  'stream',
]);
const EDIT_FIELDS = new Set([
  'image',
  'image[]',
  'mask',
  'prompt',
  'model',
  'n',
  'size',
  'quality',
  'response_format',
  'output_format',
  'output_compression',
  'background',
  'input_fidelity',
  'partial_images',
  'stream',
  'user',
]);
const DALL_E_2_SIZES = ['256x256', '512x512', '1024x1024'];

/** The colour of generated image `index` for a prompt. */
export function promptColor(prompt: string, index = 0): [number, number, number] {
  const digest = createHash('sha256').update(`${index}:${prompt}`).digest();
  return [digest[0]!, digest[1]!, digest[2]!];
}

function openAiError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
): Failure {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

async function generated(
  prompt: string,
  index: number,
  width: number,
  height: number,
): Promise<Buffer> {
  const [r, g, b] = promptColor(prompt, index);
  const quarter = await sharp({
    create: {
      width: Math.max(1, width >> 1),
      height: Math.max(1, height >> 1),
      channels: 3,
      background: { r: 255 - r, g: 255 - g, b: 255 - b },
    },
  })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .composite([{ input: quarter, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

async function edited(inputs: Buffer[], width: number, height: number): Promise<Buffer> {
  const sum = new Float64Array(width * height * 3);
  for (const input of inputs) {
    const pixels = await sharp(input)
      .removeAlpha()
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    for (let at = 0; at < sum.length; at += 1) sum[at]! += pixels[at]!;
  }
  const mean = Buffer.from(sum.map((value) => Math.round(value / inputs.length)));
  return sharp(mean, { raw: { width, height, channels: 3 } })
    .negate()
    .png()
    .toBuffer();
}

function parseSize(size: unknown, fallback: [number, number]): [number, number] | undefined {
  if (size === undefined || size === 'auto') return fallback;
  const match = typeof size === 'string' ? /^(\d+)x(\d+)$/.exec(size) : null;
  if (match === null) return undefined;
  const [width, height] = [Number(match[1]), Number(match[2])];
  return width >= 16 && height >= 16 && width <= 4096 && height <= 4096
    ? [width, height]
    : undefined;
}

export interface OpenAiImagesServer {
  /** Base URL with /v1, what an engine endpoint's `url` takes. */
  readonly url: string;
  readonly origin: string;
  readonly flavor: ImagesFlavor;
  readonly requests: RecordedImageRequest[];
  /** Answers the next `times` image requests with this status and body. */
  failNext(failure: Failure, times?: number): void;
  /** Reads the next image request and never answers it. */
  hangNext(): void;
  /** Stops listening: connections are refused from now on. */
  down(): Promise<void>;
  close(): Promise<void>;
}

export interface ImagesServerOptions {
  flavor?: ImagesFlavor;
  /** Listed by GET /v1/models. */
  models?: string[];
  /** Answer URLs even when asked for b64_json, as servers that only do URLs (LocalAI's /images/inpainting). */
  urlsOnly?: boolean;
}

export async function startOpenAiImagesServer(
  options: ImagesServerOptions = {},
): Promise<OpenAiImagesServer> {
  const flavor = options.flavor ?? 'openai';
  const requests: RecordedImageRequest[] = [];
  const stored = new Map<string, Buffer>();
  const failures: Failure[] = [];
  let hangs = 0;
  let origin = '';

  const send = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response
      .writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      })
      .end(text);
  };
  const fail = (
    status: number,
    message: string,
    param: string | null = null,
    code: string | null = null,
  ): Failure =>
    flavor === 'openai'
      ? openAiError(status, message, param, code)
      : { status, body: { error: { code: status, message, type: '' } } };

  /** The answer's data[]: base64, or a URL this server serves. */
  const answer = (images: Buffer[], base64: boolean): unknown => ({
    created: Math.floor(Date.now() / 1000),
    data: images.map((image) => {
      if (base64 && options.urlsOnly !== true) return { b64_json: image.toString('base64') };
      const name = `${createHash('sha256').update(image).digest('hex').slice(0, 24)}.png`;
      stored.set(name, image);
      return { url: `${origin}${flavor === 'localai' ? '/generated-images' : '/images'}/${name}` };
    }),
  });

  async function generate(json: Record<string, unknown>): Promise<Failure> {
    const model =
      typeof json.model === 'string'
        ? json.model
        : flavor === 'openai'
          ? 'dall-e-2'
          : 'stablediffusion';
    const gptImage = flavor === 'openai' && GPT_IMAGE.test(model);
    if (flavor === 'openai') {
      const unknown = Object.keys(json).find(
        (key) => !GENERATION_FIELDS.has(key) || (key === 'response_format' && gptImage),
      );
      if (unknown !== undefined)
        return fail(400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    }
    if (typeof json.prompt !== 'string' || json.prompt === '')
      return fail(
        400,
        "Missing required parameter: 'prompt'.",
        'prompt',
        'missing_required_parameter',
      );
    if (json.prompt.includes('#forbidden'))
      return gptImage
        ? fail(400, 'Your request was rejected by the safety system.', null, 'moderation_blocked')
        : CONTENT_POLICY;
    const size = parseSize(json.size, flavor === 'openai' ? [1024, 1024] : [512, 512]);
    if (
      size === undefined ||
      (model === 'dall-e-2' && !DALL_E_2_SIZES.includes(`${size[0]}x${size[1]}`))
    )
      return fail(400, `Invalid value: '${String(json.size)}'.`, 'size', 'invalid_value');
    const n = typeof json.n === 'number' ? json.n : 1;
    if (!Number.isInteger(n) || n < 1 || n > 10)
      return fail(400, `Invalid 'n': ${String(json.n)}.`, 'n', 'invalid_value');
    const inputs = [json.file, ...(Array.isArray(json.ref_images) ? json.ref_images : [])].filter(
      (value): value is string => typeof value === 'string' && flavor === 'localai',
    );
    const images =
      inputs.length > 0
        ? [
            await edited(
              inputs.map((value) => Buffer.from(value, 'base64')),
              size[0],
              size[1],
            ),
          ]
        : await Promise.all(
            Array.from({ length: n }, (_, index) =>
              generated(json.prompt as string, index, size[0], size[1]),
            ),
          );
    return { status: 200, body: answer(images, gptImage || json.response_format === 'b64_json') };
  }

  async function edit(fields: Record<string, string[]>, files: RecordedFile[]): Promise<Failure> {
    const unknown = [...Object.keys(fields), ...files.map((file) => file.field)].find(
      (name) => !EDIT_FIELDS.has(name),
    );
    if (unknown !== undefined)
      return fail(400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    const model = fields.model?.[0] ?? 'gpt-image-1.5';
    const gptImage = GPT_IMAGE.test(model);
    const prompt = fields.prompt?.[0];
    if (prompt === undefined || prompt === '')
      return fail(
        400,
        "Missing required parameter: 'prompt'.",
        'prompt',
        'missing_required_parameter',
      );
    const images = files.filter((file) => file.field === 'image' || file.field === 'image[]');
    if (images.length === 0)
      return fail(
        400,
        "Missing required parameter: 'image'.",
        'image',
        'missing_required_parameter',
      );
    if (!gptImage && images.length > 1)
      return fail(400, `Invalid 'image': ${model} takes one image.`, 'image', 'invalid_value');
    if (fields.response_format !== undefined && gptImage)
      return fail(
        400,
        "Unknown parameter: 'response_format'.",
        'response_format',
        'unknown_parameter',
      );
    if (prompt.includes('#forbidden'))
      return gptImage
        ? fail(400, 'Your request was rejected by the safety system.', null, 'moderation_blocked')
        : CONTENT_POLICY;
    const size = parseSize(fields.size?.[0], [1024, 1024]);
    if (
      size === undefined ||
      (model === 'dall-e-2' && !DALL_E_2_SIZES.includes(`${size[0]}x${size[1]}`))
    )
      return fail(400, `Invalid value: '${fields.size?.[0]}'.`, 'size', 'invalid_value');
    try {
      const image = await edited(
        images.map((file) => file.bytes),
        size[0],
        size[1],
      );
      return {
        status: 200,
        body: answer([image], gptImage || fields.response_format?.[0] === 'b64_json'),
      };
    } catch {
      return fail(
        400,
        'Invalid image file or mode for image 1, please check your image file.',
        'image',
        'invalid_image_file',
      );
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (request.method === 'GET' && path === '/v1/models') {
      return send(response, 200, {
        object: 'list',
        data: (options.models ?? ['dall-e-2']).map((id) => ({
          id,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'system',
        })),
      });
    }
    const file = /^\/(?:generated-images|images)\/([\w.-]+)$/.exec(path);
    if (request.method === 'GET' && file !== null && stored.has(file[1]!)) {
      const image = stored.get(file[1]!)!;
      response
        .writeHead(200, { 'content-type': 'image/png', 'content-length': image.length })
        .end(image);
      return;
    }
    const isGeneration = request.method === 'POST' && path === '/v1/images/generations';
    const isEdit = request.method === 'POST' && path === '/v1/images/edits' && flavor === 'openai';
    if (!isGeneration && !isEdit)
      return send(
        response,
        404,
        flavor === 'openai'
          ? openAiError(404, `Invalid URL (${request.method} ${path})`, null, null).body
          : { message: 'Not Found' },
      );
    const record: RecordedImageRequest = {
      method: request.method!,
      path,
      headers: request.headers,
      aborted: false,
    };
    requests.push(record);
    response.once('close', () => {
      if (!response.writableFinished) record.aborted = true;
    });
    let outcome: Failure;
    if (isGeneration) {
      try {
        record.json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(
          response,
          400,
          fail(400, 'We could not parse the JSON body of your request.').body,
        );
      }
    } else {
      const form = await new Request('http://double.local/', {
        method: 'POST',
        headers: { 'content-type': String(request.headers['content-type']) },
        body: raw,
      }).formData();
      record.fields = {};
      record.files = [];
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') (record.fields[name] ??= []).push(value);
        else
          record.files.push({
            field: name,
            filename: value.name,
            contentType: value.type,
            bytes: Buffer.from(await value.arrayBuffer()),
          });
      }
    }
    if (hangs > 0) {
      hangs -= 1;
      return;
    }
    const failure = failures.shift();
    if (failure !== undefined) outcome = failure;
    else
      outcome = isGeneration
        ? await generate(record.json!)
        : await edit(record.fields!, record.files!);
    send(response, outcome.status, outcome.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      send(response, 500, { error: { message: String(error) } }),
    );
  });
  const listening = await listenOnLoopback(server);
  origin = listening.origin;
  const { stop } = listening;
  return {
    url: `${origin}/v1`,
    origin,
    flavor,
    requests,
    failNext: (failure, times = 1) => {
      for (let turn = 0; turn < times; turn += 1) failures.push(failure);
    },
    hangNext: () => {
      hangs += 1;
    },
    down: stop,
    close: stop,
  };
}
