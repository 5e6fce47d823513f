import { randomHex } from '../../runtime/random-hex.ts';
import type { EngineCall, EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import type { ChatCompletionRequest } from '../../schemas/chat.ts';
import type { Billing, Settlement } from '../billing/meter.ts';
import { meteredEvents, Metering } from '../billing/metered-events.ts';
import { engineFor } from '../../engines/engine-for.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import { priceOf, type Cost } from '../pricing.ts';
import type { ChatCompletionChunk, ChatCompletionResponse } from '../../schemas/chat-response.ts';
import { EventNormalizer, normalizeEvents, splitsThinkTags } from './chat-events.ts';
import {
  chunkEncoder,
  ChunkBuilder,
  collectCompletion,
  type CompletionIdentity,
} from './chat-response.ts';
import { chatChunkStream, engineBatches } from './chat-stream.ts';
import { resolveChatModel, type PersonaSource } from './chat-character.ts';
import { DocumentsCall, withDocumentsCall } from './documents-call.ts';
import { prepareChat } from './prepare-chat.ts';
import { boundedWorstCase, untokenizedWorstCase } from './bounded-worst-case.ts';
import { hasFileParts, resolveFileParts, withoutFileText } from './file-parts.ts';
import { inlineMediaUrls } from './media-urls.ts';
import { needsWebSearch } from './search-decision.ts';
import { webContextText, withSystemText } from './web-context.ts';
import { asksForWeb, WebRetrieval, type ChatWebDependencies } from './web-retrieval.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ParserPool } from '../parsers/parser-pool.ts';
import type { TextPricing } from '../../config.ts';
import type { Currency } from '../../storage/store.ts';
import type { Span } from '@opentelemetry/api';
import { tracedEvents } from '../../observability/tracing.ts';

/**
 * A call's price in the currency that paid it (swagger: cost.usd / cost.diem). A function of its own, not a closure
 * in `create`: a stream holds it to its end, and a closure there would keep all of `create`'s context (the request,
 * its prepared copies) alive with it.
 */
function pricer(pricing: TextPricing, currency: Currency): (usage: EngineUsage) => Cost {
  return (usage) => {
    const full = priceOf(pricing, usage);
    return currency === 'USD' ? { usd: full.usd, diem: 0 } : { usd: 0, diem: full.diem };
  };
}

export interface ChatOutcome {
  entry: ModelEntry;
  /** Where the engine served it (x-venice-model-router). */
  servedBy: string;
}

export type ChatResult =
  | (ChatOutcome & { kind: 'json'; body: ChatCompletionResponse })
  /** `encode` writes a chunk as JSON, the bytes of JSON.stringify, faster (chat-response.ts chunkEncoder). */
  | (ChatOutcome & {
      kind: 'stream';
      chunks: AsyncGenerator<ChatCompletionChunk>;
      encode: (chunk: ChatCompletionChunk) => string;
    });

/** Runs `work` under an open reservation; when it fails, the reservation is released (nothing was served). */
async function releasingOnFailure<T>(
  settlement: Settlement,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
    throw error;
  }
}

/** Engine failures become Venice errors; anything else passes through to the app's error handler. */
async function* mapEngineErrors<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw error instanceof EngineError ? toVeniceError(error) : error;
  }
}

/**
 * POST /chat/completions, framework-free: resolves the model, validates the request against it, runs
 * the engine and shapes its events into Venice's JSON or chunks. For streams, the first event is awaited
 * before returning, so failures before the first byte (and upstream failover) still get a proper status.
 */
export class ChatService {
  private readonly web: WebRetrieval;

  /**
   * `personas` looks up character_slug; without it every slug is 404 CHARACTER_NOT_FOUND. `fetcher` reads the
   * URLs of `file`, `image_url` and `video_url` parts; without it file parts, and media URLs other than data:, are
   * refused. `web` serves venice_parameters' web search and scraping; without it web search is refused (400) and
   * scraping reads nothing. `parsers` extracts the text of `file` parts; without it (or `fetcher`) they are refused.
   */
  constructor(
    private readonly registry: ModelRegistry,
    private readonly systemPrompt: () => string,
    private readonly personas?: PersonaSource,
    private readonly fetcher?: UrlFetcher,
    web?: ChatWebDependencies,
    private readonly parsers?: ParserPool,
  ) {
    this.web = new WebRetrieval(web);
  }

  async create(
    original: ChatCompletionRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<ChatResult> {
    const { entry, suffixParameters, character } = await resolveChatModel(
      this.registry,
      this.personas,
      original.model,
      original.venice_parameters?.character_slug,
    );
    // The request is validated whole (file parts as empty text) before anything is fetched, parsed, searched or charged.
    const files = hasFileParts(original.messages);
    // One budget for every URL this request makes Rialto fetch (file parts, image_url, video_url): fetch.perRequest.
    const downloads = this.fetcher?.forRequest();
    const prepare = (request: ChatCompletionRequest) =>
      prepareChat(
        request,
        entry.config,
        entry.engineModel,
        suffixParameters,
        this.systemPrompt(),
        character,
      );
    const checked = prepare(
      files ? { ...original, messages: withoutFileText(original.messages) } : original,
    );
    this.web.check(checked.veniceParameters);
    const identity: CompletionIdentity = {
      id: `chatcmpl-${randomHex(16)}`,
      created: Math.floor(Date.now() / 1000),
      model: entry.config.id,
    };
    // Admitted (privacy, rate limits) and reserved before any work: no file or page is read, nothing searched or
    // tokenised, no engine started for a request past its limits. Files and pages are not read yet, so their text is
    // reserved on a worst case bounded by the model's context; a plain prompt on its bytes (bounded-worst-case.ts).
    const worst =
      files || asksForWeb(checked.veniceParameters)
        ? boundedWorstCase(entry, checked.engineRequest)
        : untokenizedWorstCase(entry, checked.engineRequest);
    const settlement = await billing.reserve({
      modelId: entry.config.id,
      modelType: 'text',
      requestId: identity.id,
      limitClass: entry.config.rateLimitTier,
      tokens: worst.tokens,
      worstCase: worst.cost,
      privacy: entry.config.privacy,
    });
    const { prepared, citations } = await releasingOnFailure(settlement, signal, async () => {
      const read = files
        ? prepare({
            ...original,
            messages: await resolveFileParts(
              original.messages,
              downloads === undefined || this.parsers === undefined
                ? undefined
                : { fetcher: downloads, parsers: this.parsers },
              signal,
            ),
          })
        : checked;
      return {
        prepared: read,
        citations: await this.web.retrieve(
          read.veniceParameters,
          original.messages,
          (question) => needsWebSearch(entry, question, signal),
          signal,
          billing,
        ),
      };
    });
    const { engineRequest } = prepared;
    // The results reach the model after the system prompt(s) (web-context.ts).
    if (citations !== undefined)
      engineRequest.messages = withSystemText(
        engineRequest.messages,
        webContextText(citations, prepared.veniceParameters.enable_web_citations),
      );
    const call: EngineCall = { signal };
    // Client media URLs are fetched once the request is admitted and paid for, and reach the engine as data: URLs.
    engineRequest.messages = await releasingOnFailure(settlement, signal, () =>
      inlineMediaUrls(engineRequest.messages, downloads, signal),
    );
    const price = pricer(entry.config.pricing, settlement.currency);
    const engine = engineFor(entry, 'text');
    // The engine's span: its model when it starts, who served it and the tokens when the usage comes.
    const annotate = (span: Span, events?: readonly EngineChatEvent[]): void => {
      if (events === undefined)
        span.setAttributes({
          'gen_ai.request.model': entry.config.id,
          'rialto.engine': engine.kind,
          'rialto.stream': prepared.stream,
        });
      else
        for (const event of events)
          if (event.type === 'usage')
            span.setAttributes({
              'rialto.engine.served_by': call.servedBy ?? engine.kind,
              'gen_ai.usage.input_tokens': event.usage.promptTokens,
              'gen_ai.usage.output_tokens': event.usage.completionTokens,
            });
    };
    const normalize = {
      splitThinkTags: splitsThinkTags(entry.config),
      stripThinking: prepared.stripThinking,
    };
    const documents =
      citations !== undefined && prepared.veniceParameters.return_search_results_as_documents
        ? citations
        : undefined;

    if (!prepared.stream) {
      const generated = tracedEvents(
        'engine.chat',
        engine.streamChat(engineRequest, call),
        (span, event) => annotate(span, event === undefined ? undefined : [event]),
      );
      const normalized = normalizeEvents(generated, normalize);
      const mapped = mapEngineErrors(meteredEvents(normalized, settlement, call, price));
      const { body } = await collectCompletion(
        documents === undefined ? mapped : withDocumentsCall(mapped, documents),
        identity,
        price,
        prepared.veniceParameters,
        citations,
      );
      return { kind: 'json', body, entry, servedBy: call.servedBy ?? entry.engine.kind };
    }
    // A stream that asked for web search or scraping says what was found on its first chunk, even when nothing was.
    const web = asksForWeb(prepared.veniceParameters)
      ? {
          veniceParameters: { ...prepared.veniceParameters, web_search_citations: citations ?? [] },
          resultsChunk: prepared.veniceParameters.include_search_results_in_stream,
        }
      : undefined;
    // One pump from the engine's events to chunks (chat-stream.ts); its first chunk is awaited here, and however the
    // stream ends, even given up before its first chunk, the reservation is settled or released.
    const batches = tracedEvents(
      'engine.chat',
      engineBatches(engine, engineRequest, call),
      annotate,
    );
    const chunks = await chatChunkStream(batches, {
      normalizer: new EventNormalizer(normalize),
      metering: new Metering(settlement, call, price),
      documents: documents === undefined ? undefined : new DocumentsCall(documents),
      builder: new ChunkBuilder(identity, price, prepared.includeUsage, web),
    });
    return {
      kind: 'stream',
      chunks,
      encode: chunkEncoder(identity),
      entry,
      servedBy: call.servedBy ?? entry.engine.kind,
    };
  }
}
