// Shared helpers of the upstream e2e tests (upstream-chat / upstream-failover): model configs for
// each replay flavor, raw SSE reading with fetch, and a bounded poll.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startRialto, type StartOptions, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type RecordedRequest,
  type ReplayServer,
  type UpstreamFlavor,
} from '../support/upstream/upstream-replay-server.ts';

/** The model names the recordings were made with, per flavor. */
export const UPSTREAM_MODELS: Record<UpstreamFlavor, { chat: string; embed: string }> = {
  vllm: { chat: 'Qwen/Qwen3-8B', embed: 'BAAI/bge-small-en-v1.5' },
  'llamacpp-server': { chat: 'Qwen3-8B-Q4_K_M.gguf', embed: 'nomic-embed-text-v1.5.Q8_0.gguf' },
  ollama: { chat: 'qwen3:8b', embed: 'nomic-embed-text' },
};

/** Non-zero prices, so that `cost` is a real number to check. */
export const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };

export function chatModel(
  id: string,
  flavor: UpstreamFlavor,
  urls: string[],
  engine: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    name: `${id} (${flavor})`,
    engine: {
      kind: 'openai-compatible',
      endpoints: urls.map((url) => ({ url })),
      model: UPSTREAM_MODELS[flavor].chat,
      ...engine,
    },
    capabilities: {
      supportsReasoning: true,
      supportsFunctionCalling: true,
      supportsResponseSchema: true,
    },
    pricing: PRICING,
  };
}

export function embeddingModel(
  id: string,
  flavor: UpstreamFlavor,
  url: string,
): Record<string, unknown> {
  return {
    id,
    type: 'embedding',
    engine: {
      kind: 'openai-compatible',
      endpoints: [{ url }],
      model: UPSTREAM_MODELS[flavor].embed,
    },
    pricing: PRICING,
  };
}

/** host:port of a URL, as x-venice-model-router names an endpoint. */
export function hostOf(url: string): string {
  return new URL(url).host;
}

export function postJson(
  rialto: TestRialto,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.inferenceKey}` },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** The `data:` payloads of an SSE body, in order (other fields are kept as `<field>: value`). */
export function sseData(text: string): string[] {
  const events: string[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else if (!line.startsWith(':')) data.push(line);
    }
    events.push(data.join('\n'));
  }
  return events;
}

/** The last request the replay server received on a path (fails when there is none). */
export function lastRequest(replay: ReplayServer, path = '/v1/chat/completions'): RecordedRequest {
  const found = replay.requests.filter((request) => request.path === path).at(-1);
  assert.ok(found !== undefined, `the upstream received no request on ${path}`);
  return found;
}

export function bodyOf(request: RecordedRequest): Record<string, unknown> {
  assert.equal(typeof request.body, 'object');
  return request.body as Record<string, unknown>;
}

/** Polls `condition` every 25 ms, at most `tries` times; true once it holds. No time is asserted. */
export async function eventually(condition: () => boolean, tries = 200): Promise<boolean> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** Headers every inference response must carry, and the model headers of `modelId` served by `router`. */
export function assertInferenceHeaders(
  headers: Headers,
  modelId: string,
  modelName: string,
  router: string,
): void {
  assert.equal(headers.get('x-venice-model-id'), modelId);
  assert.equal(headers.get('x-venice-model-name'), modelName);
  assert.equal(headers.get('x-venice-model-router'), router);
  assert.match(headers.get('cf-ray') ?? '', /^[0-9a-f]{16}-[A-Z]+$/);
  assert.equal(headers.get('x-request-id'), headers.get('cf-ray'));
  assert.match(headers.get('x-venice-version') ?? '', /^\d{8}\.\d{6}$/);
}

/**
 * Registers the suite's before/after hooks: a vLLM replay server, then Rialto with the config built from its
 * URL; `started` receives both, and both are closed after the suite.
 */
export function useReplayRialto(
  config: (upstreamUrl: string) => Record<string, unknown>,
  started: (servers: { replay: ReplayServer; rialto: TestRialto }) => void,
  options: StartOptions = {},
): void {
  let servers: { replay: ReplayServer; rialto: TestRialto } | undefined;
  before(async () => {
    const replay = await startReplayServer({ flavor: 'vllm' });
    servers = { replay, rialto: await startRialto(config(replay.url), options) };
    started(servers);
  });
  after(async () => {
    await servers?.rialto.close();
    await servers?.replay.close();
  });
}
