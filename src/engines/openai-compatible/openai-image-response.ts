import { request as fetchUrl, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { networkError } from '../upstream/network-error.ts';
import { fieldsOf } from '../upstream/upstream-answer.ts';
import type { UpstreamAnswer } from './openai-image-upstream.ts';
import { upstreamMessage } from '../upstream/upstream-errors.ts';

/** A generated image is far below this; more means the URL is not serving an image. */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** node_modules/openai/resources/images.d.ts: ImagesResponse.data, at least one image (an item of another shape has neither field). */
const imagesAnswer = z.object({
  data: z
    .array(
      z
        .object({
          b64_json: z.string().optional().catch(undefined),
          url: z.string().optional().catch(undefined),
        })
        .catch({}),
    )
    .min(1),
});

async function readLimited(body: Dispatcher.ResponseData['body'], label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_IMAGE_BYTES) {
      body.destroy();
      throw new EngineError(
        'failed',
        `upstream ${label} served an image over ${MAX_IMAGE_BYTES} bytes`,
        { retryable: false },
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads an image the upstream answered by URL (LocalAI's /generated-images/…, DALL·E's default). A URL
 * on the endpoint's own origin goes through its connection pool with its key; another origin (a CDN) is
 * fetched without credentials, under the same timeout.
 */
async function download(
  url: string,
  answer: UpstreamAnswer,
  call: EngineCall,
  timeoutMs: number,
): Promise<Buffer> {
  const { endpoint } = answer;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new EngineError(
      'failed',
      `upstream ${endpoint.label} sent an image URL that is not a URL`,
      { retryable: false },
    );
  }
  let response: Dispatcher.ResponseData;
  try {
    response =
      target.origin === new URL(endpoint.url).origin
        ? await endpoint.pool.request({
            method: 'GET',
            path: `${target.pathname}${target.search}`,
            headers: endpoint.authorization,
            signal: call.signal,
          })
        : await fetchUrl(target, {
            signal: call.signal,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new EngineError(
        'failed',
        `upstream ${endpoint.label} answered ${response.statusCode} for its image ${url}: ${upstreamMessage(text)}`,
        { retryable: false },
      );
    }
    return await readLimited(response.body, endpoint.label);
  } catch (error) {
    if (error instanceof EngineError) throw error;
    const failure = networkError(error, endpoint.label, call);
    throw new EngineError(failure.failure, failure.message, { cause: error, retryable: false });
  }
}

/**
 * The images of an OpenAI images answer ({created, data: [{b64_json} | {url}]}), as encoded bytes; a data
 * URL is decoded, any other URL downloaded. An answer without images is a failure of the upstream.
 */
export async function imagesOf(
  answer: UpstreamAnswer,
  call: EngineCall,
  timeoutMs: number,
): Promise<Buffer[]> {
  const data = fieldsOf(imagesAnswer, answer.body)?.data;
  if (data === undefined) {
    throw new EngineError(
      'failed',
      `upstream ${answer.endpoint.label} sent no images: ${upstreamMessage(answer.body) || JSON.stringify(answer.body).slice(0, 200)}`,
      { retryable: false },
    );
  }
  return Promise.all(
    data.map(async (item) => {
      if (item.b64_json !== undefined && item.b64_json !== '')
        return Buffer.from(item.b64_json, 'base64');
      if (item.url?.startsWith('data:') === true)
        return Buffer.from(item.url.slice(item.url.indexOf(',') + 1), 'base64');
      if (item.url !== undefined && item.url !== '')
        return download(item.url, answer, call, timeoutMs);
      throw new EngineError(
        'failed',
        `upstream ${answer.endpoint.label} sent an image with neither b64_json nor url`,
        { retryable: false },
      );
    }),
  );
}
