// Shared set-up of the /image/edit and /image/multi-edit suites: Rialto in front of the OpenAI-images double
// (OpenAI and LocalAI flavours), a server of images by URL, and helpers to post and inspect.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startOpenAiImagesServer,
  type OpenAiImagesServer,
} from '../support/upstream/openai-images-server.ts';

const FREE = { usd: 0, diem: 0 };
const price = (usd: number) => ({ usd, diem: usd });

/** edit-gpt's prices: $0.05 an edit, one image included, $0.01 for each further one. */
export const EDIT_PRICE = 0.05;
export const EXTRA_IMAGE_PRICE = 0.01;
/** edit-tiers' price of a 2K low-quality edit. */
export const TIER_2K_LOW = 0.03;

export interface EditFixture {
  rialto: TestRialto;
  openai: OpenAiImagesServer;
  localai: OpenAiImagesServer;
  /** Serves `images` by path: http://127.0.0.1:port/<name>. */
  imageOrigin: string;
  images: Map<string, { bytes: Buffer; contentType: string }>;
  close(): Promise<void>;
}

export async function startEditFixture(): Promise<EditFixture> {
  const openai = await startOpenAiImagesServer({ models: ['gpt-image-1', 'dall-e-2'] });
  const localai = await startOpenAiImagesServer({ flavor: 'localai', models: ['qwen-image-edit'] });
  const gone = await startOpenAiImagesServer();
  await gone.down();
  const images = new Map<string, { bytes: Buffer; contentType: string }>();
  const imageServer: Server = createServer((request, response) => {
    const image = images.get((request.url ?? '/').slice(1));
    if (image === undefined) return void response.writeHead(404).end();
    response
      .writeHead(200, { 'content-type': image.contentType, 'content-length': image.bytes.length })
      .end(image.bytes);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  const upstream = (server: OpenAiImagesServer, extra: Record<string, unknown> = {}) => ({
    kind: 'openai-compatible',
    endpoints: [{ url: server.url, name: 'images' }],
    ...extra,
  });
  const rialto = await startRialto({
    fetch: { allowHosts: ['127.0.0.1'] },
    models: [
      {
        id: 'edit-gpt',
        name: 'GPT Image Edit',
        type: 'inpaint',
        aliases: ['qwen-edit', 'firered-image-edit'],
        engine: upstream(openai, {
          model: 'gpt-image-1',
          imageSizes: ['1024x1024', '1536x1024', '1024x1536'],
        }),
        imageConstraints: {
          promptCharacterLimit: 1000,
          maxInputImages: 3,
          aspectRatios: ['auto', '1:1', '3:2', '2:3', '16:9', '9:16'],
        },
        pricing: {
          input: FREE,
          output: FREE,
          inpaint: price(EDIT_PRICE),
          inputImages: { included: 1, additional: price(EXTRA_IMAGE_PRICE) },
        },
      },
      {
        id: 'edit-tiers',
        type: 'inpaint',
        engine: upstream(openai, { model: 'gpt-image-1' }),
        imageConstraints: {
          resolutions: ['1K', '2K'],
          defaultResolution: '1K',
          qualities: ['low', 'medium', 'high'],
          defaultQuality: 'high',
        },
        pricing: {
          input: FREE,
          output: FREE,
          inpaint: price(0.2),
          resolutions: { '1K': price(0.2), '2K': price(0.3) },
          quality: {
            '1K': { low: price(0.02), medium: price(0.07), high: price(0.2) },
            '2K': { low: price(TIER_2K_LOW), medium: price(0.13), high: price(0.3) },
          },
        },
      },
      {
        id: 'edit-dalle',
        type: 'inpaint',
        engine: upstream(openai, {
          model: 'dall-e-2',
          imageSizes: ['256x256', '512x512', '1024x1024'],
        }),
        imageConstraints: { combineImages: false, singleImageAspectRatio: false },
      },
      {
        id: 'edit-local',
        type: 'inpaint',
        engine: upstream(localai, { model: 'qwen-image-edit', imageApi: 'localai' }),
      },
      { id: 'edit-down', type: 'inpaint', engine: upstream(gone) },
    ],
  });
  return {
    rialto,
    openai,
    localai,
    images,
    imageOrigin: `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`,
    close: async () => {
      await rialto.close();
      await openai.close();
      await localai.close();
      await new Promise<void>((resolve) => imageServer.close(() => resolve()));
    },
  };
}

/** A solid image of one colour. */
export function solid(
  color: [number, number, number],
  width = 640,
  height = 480,
  format: 'png' | 'jpeg' = 'png',
): Promise<Buffer> {
  const pipeline = sharp({
    create: { width, height, channels: 3, background: { r: color[0], g: color[1], b: color[2] } },
  });
  return (format === 'png' ? pipeline.png() : pipeline.jpeg({ quality: 95 })).toBuffer();
}

/** The pixel at (x, y), RGB. */
export async function pixel(
  image: Buffer,
  x: number,
  y: number,
): Promise<[number, number, number]> {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 3;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

/** Whether two colours are within `tolerance` on every channel (JPEG and WebP are lossy). */
export function near(
  actual: readonly number[],
  expected: readonly number[],
  tolerance = 3,
): boolean {
  return actual.every((value, index) => Math.abs(value - expected[index]!) <= tolerance);
}

export function postJson(
  rialto: TestRialto,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${rialto.inferenceKey}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

export function postForm(rialto: TestRialto, path: string, form: FormData): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rialto.inferenceKey}` },
    body: form,
  });
}

/** The account's balance (USD nanos) and its usage records. */
export async function ledger(rialto: TestRialto): Promise<{
  balance: number;
  records: Awaited<ReturnType<TestRialto['store']['usage']['list']>>;
}> {
  const account = await rialto.store.accounts.find('default');
  return {
    balance: account?.usdBalance ?? 0,
    records: await rialto.store.usage.list({ accountId: 'default', limit: 10_000 }),
  };
}
