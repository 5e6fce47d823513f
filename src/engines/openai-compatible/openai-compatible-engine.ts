import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { OpenAiCompatibleEngineConfig } from '../../config.ts';
import type {
  EngineCall,
  EngineChatEvent,
  EngineChatRequest,
  EngineEmbedRequest,
  EngineEmbedResult,
  EngineLoad,
  EngineUsage,
  TextEngine,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { BodyPieces } from '../upstream/body-pieces.ts';
import { brokenAnswer } from '../upstream/network-error.ts';
import { fieldsOf, jsonBody, readAnswer } from '../upstream/upstream-answer.ts';
import { upstreamError, upstreamMessage } from '../upstream/upstream-errors.ts';
import { requestWithFailover, unread } from '../upstream/request-with-failover.ts';
import { UpstreamPool, type UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { eventsOf, UpstreamChatStream, usageOf } from './upstream-events.ts';
import { completionOf } from './upstream-completion.ts';
import { upstreamChatBody } from './upstream-request.ts';

/** OpenAI's CreateEmbeddingResponse: the fields read (an item is checked on its own, so a bad one is named). */
const embeddingsAnswer = z.object({
  data: z.array(z.unknown()).optional().catch(undefined),
  usage: z
    .object({ prompt_tokens: z.number().optional().catch(undefined) })
    .optional()
    .catch(undefined),
});
const embeddingItem = z.object({
  index: z.number().int().nonnegative().optional().catch(undefined),
  embedding: z.array(z.number()),
});

/** A rough token count (4 bytes a token) for upstreams that report no usage; TODO(#4): their tokenizers. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 4);
}

/**
 * Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI, Venice). Requests go to the
 * model's endpoints in the pool's order; a refused connection, 429, 503 or 5xx moves on to the next
 * endpoint, which is only possible before anything reached the client. Responses are normalised into
 * engine events; usage is always reported (asked for with stream_options, estimated if still missing).
 */
export class OpenAiCompatibleEngine implements TextEngine {
  readonly kind = 'openai-compatible';
  readonly modality = 'text';
  private readonly pool: UpstreamPool;

  /**
   * `streamsCloseConnection`: the server closes the connection after each streamed answer though it announced
   * keep-alive (llama-server does), so a stream's request asks for a connection of its own instead of one that the
   * server is about to close (a request sent on it before the server's FIN arrives fails: "other side closed").
   */
  constructor(
    private readonly config: OpenAiCompatibleEngineConfig,
    private readonly options: { streamsCloseConnection?: boolean } = {},
  ) {
    this.pool = new UpstreamPool(config);
  }

  /** POSTs to the first endpoint that takes the request (upstream/request-with-failover.ts); the answer's body unread. */
  private post(
    path: string,
    body: unknown,
    call: EngineCall,
    stream = false,
  ): Promise<{ answer: Dispatcher.ResponseData; endpoint: UpstreamEndpoint }> {
    return requestWithFailover(
      this.pool,
      {
        kind: this.kind,
        path,
        body: jsonBody(body),
        accept: 'application/json, text/event-stream',
        failure: upstreamError,
        read: unread,
        closeConnection: stream && this.options.streamsCloseConnection === true,
      },
      call,
    );
  }

  async *streamChat(request: EngineChatRequest, call: EngineCall): AsyncGenerator<EngineChatEvent> {
    for await (const batch of this.streamChatBatches(request, call)) yield* batch;
  }

  /** The events of one upstream body piece in one batch (a relay hands on a read's events without a promise each). */
  async *streamChatBatches(
    request: EngineChatRequest,
    call: EngineCall,
  ): AsyncGenerator<EngineChatEvent[]> {
    const { answer: response, endpoint } = await this.post(
      '/chat/completions',
      upstreamChatBody(request, request.stream, this.config.disableThinking),
      call,
      request.stream,
    );
    // A running estimate, replaced by the upstream's own figures when they arrive.
    const running: EngineUsage = {
      promptTokens: estimateTokens(JSON.stringify(request.messages)),
      completionTokens: 0,
    };
    call.usage = running;
    const stream = new UpstreamChatStream(running, upstreamMessage);
    // The events of the body's end, handed on with the usage in the last batch.
    let last: EngineChatEvent[];
    try {
      if (!request.stream) {
        const answer = await readAnswer(response);
        const body = completionOf(answer);
        if (body === undefined)
          throw new EngineError(
            'failed',
            `upstream sent an unexpected body: ${upstreamMessage(answer)}`,
          );
        last = stream.track(eventsOf(body));
        if (body.usage) stream.usage = usageOf(body.usage);
      } else {
        // An HTML error page, a JSON body or bytes of anything else under a 200 is a failing upstream, not an empty answer.
        const type = String(response.headers['content-type'] ?? '');
        if (!type.startsWith('text/event-stream'))
          throw new EngineError(
            'failed',
            `upstream answered a stream with content-type ${type === '' ? '(none)' : type.slice(0, 100)}`,
          );
        // Read to the end of the body even after [DONE]: leaving early makes undici build an AbortError (and its stack) per stream.
        // Every event of a body piece is decoded at once (upstream-events.ts) and handed on in one batch.
        const pieces = new BodyPieces(response.body);
        for (let piece = await pieces.next(); piece !== undefined; piece = await pieces.next()) {
          const events = stream.push(piece);
          if (events.length > 0) yield events;
          stream.throwFailure();
        }
        last = stream.end();
      }
    } catch (error) {
      throw brokenAnswer(error, endpoint.label, call);
    } finally {
      if (!response.body.destroyed) {
        // An unread body destroyed without a listener would throw undici's 'Request aborted' as an uncaught exception.
        response.body.on('error', () => undefined);
        response.body.destroy();
      }
    }
    last.push({ type: 'usage', usage: stream.usage ?? running });
    yield last;
  }

  async embed(request: EngineEmbedRequest, call: EngineCall): Promise<EngineEmbedResult> {
    const body: Record<string, unknown> = {
      model: request.model,
      input: request.input,
      encoding_format: 'float',
    };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    const { answer: response } = await this.post('/embeddings', body, call);
    const result = fieldsOf(embeddingsAnswer, await readAnswer(response)) ?? {};
    const vectors: number[][] = [];
    for (const [position, data] of (result.data ?? []).entries()) {
      const item = fieldsOf(embeddingItem, data);
      if (item === undefined)
        throw new EngineError('failed', 'upstream sent an embedding that is not a list of numbers');
      vectors[item.index ?? position] = item.embedding;
    }
    if (vectors.length !== request.input.length || vectors.includes(undefined as never))
      throw new EngineError(
        'failed',
        `upstream returned ${vectors.length} embeddings for ${request.input.length} inputs`,
      );
    return {
      vectors,
      promptTokens:
        result.usage?.prompt_tokens ??
        request.input.reduce((sum, text) => sum + estimateTokens(text), 0),
    };
  }

  /** GET <endpoint>/models on every endpoint: the OpenAI-compatible call every such server answers. */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkModels(signal);
  }

  load(): EngineLoad {
    return this.pool.load();
  }

  async countTokens(_model: string, text: string): Promise<number> {
    return estimateTokens(text);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
