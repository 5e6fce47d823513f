// Shared by the image-generate*.test.ts suites: the image models they configure, a POST helper, and a
// pixel reader.
import sharp from 'sharp';
import type { TestRialto } from '../support/start-rialto.ts';

/** swagger: the 200 JSON of /image/generate. */
export interface GenerateAnswer {
  id: string;
  images: string[];
  request?: Record<string, unknown>;
  timing: {
    inferenceDuration: number;
    inferencePreprocessingTime: number;
    inferenceQueueTime: number;
    total: number;
  };
}

export const GENERATION_PRICE = 0.01;

/**
 * sd-a1111: pixel sizing (divisor 64, defaults 512×512, steps 20 of at most 30, CFG 6, 200-character
 * prompts), $0.01 an image, a configured checkpoint and sampler. sd-tiers: aspect ratios and resolution
 * tiers priced per tier. sd-old: deprecated, replaced by sd-a1111. chat-model: a text model (never called).
 */
export function imageModels(
  url: string,
  engine: Record<string, unknown> = {},
): Record<string, unknown>[] {
  const a1111 = {
    kind: 'automatic1111',
    endpoints: [{ url }],
    checkpoint: 'sd_xl_base_1.0',
    sampler: 'DPM++ 2M',
    ...engine,
  };
  const constraints = {
    promptCharacterLimit: 200,
    steps: { default: 20, max: 30 },
    widthHeightDivisor: 64,
    defaultWidth: 512,
    defaultHeight: 512,
    cfgScale: 6,
  };
  const price = (usd: number) => ({ usd, diem: usd });
  return [
    {
      id: 'sd-a1111',
      name: 'SDXL on A1111',
      type: 'image',
      engine: a1111,
      imageConstraints: constraints,
      pricing: { input: price(0), output: price(0), generation: price(GENERATION_PRICE) },
    },
    {
      id: 'sd-tiers',
      type: 'image',
      engine: a1111,
      imageConstraints: {
        aspectRatios: ['1:1', '16:9', '9:16'],
        defaultAspectRatio: '1:1',
        resolutions: ['0.25K', '0.5K'],
        defaultResolution: '0.25K',
      },
      pricing: {
        input: price(0),
        output: price(0),
        resolutions: { '0.25K': price(0.02), '0.5K': price(0.05) },
      },
    },
    {
      id: 'sd-old',
      type: 'image',
      engine: a1111,
      imageConstraints: constraints,
      deprecation: {
        date: '2026-01-01T00:00:00.000Z',
        removesAt: '2099-01-01T00:00:00.000Z',
        replacementModelId: 'sd-a1111',
      },
    },
    {
      id: 'chat-model',
      engine: { kind: 'openai-compatible', endpoints: [{ url: 'http://127.0.0.1:9/v1' }] },
    },
  ];
}

export function postGenerate(
  rialto: TestRialto,
  body: unknown,
  headers: Record<string, string> = {},
  path = '/image/generate',
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${rialto.inferenceKey}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** The RGB of one pixel. */
export async function pixelAt(
  image: Buffer,
  x: number,
  y: number,
): Promise<{ r: number; g: number; b: number }> {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return { r: data[offset]!, g: data[offset + 1]!, b: data[offset + 2]! };
}

/** Polls `probe` until it returns a value (at most ~10 s), for effects that happen after a response. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  for (let turn = 0; turn < 500; turn++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the expected effect did not happen');
}
