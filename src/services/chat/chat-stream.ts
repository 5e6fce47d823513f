import type {
  EngineCall,
  EngineChatEvent,
  EngineChatRequest,
  TextEngine,
} from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import type { ChatCompletionChunk } from '../../schemas/chat-response.ts';
import type { Metering } from '../billing/metered-events.ts';
import type { EventNormalizer } from './chat-events.ts';
import type { ChunkBuilder } from './chat-response.ts';
import type { DocumentsCall } from './documents-call.ts';

/** The steps between an engine's events and a stream's chunks, each synchronous but the settlement. */
export interface ChatStreamSteps {
  normalizer: EventNormalizer;
  /** Pays for the call; none for a request nobody pays for. */
  metering: Metering | undefined;
  /** return_search_results_as_documents' tool call, when it applies. */
  documents: DocumentsCall | undefined;
  builder: ChunkBuilder;
}

/** Engine failures become Venice errors; anything else goes on to the app's error handler as it is. */
function mapped(error: unknown): unknown {
  return error instanceof EngineError ? toVeniceError(error) : error;
}

/** An engine's events in the batches it makes them in (TextEngine.streamChatBatches), or one a batch. */
export function engineBatches(
  engine: TextEngine,
  request: EngineChatRequest,
  call: EngineCall,
): AsyncIterable<readonly EngineChatEvent[]> {
  return engine.streamChatBatches?.(request, call) ?? oneByOne(engine.streamChat(request, call));
}

async function* oneByOne(
  events: AsyncIterable<EngineChatEvent>,
): AsyncGenerator<readonly EngineChatEvent[]> {
  for await (const event of events) yield [event];
}

/**
 * Pulls an engine's events a batch at a time (one upstream read) and turns them into the chunks they make, in one
 * place instead of a generator per step: normalised (reasoning, tool call ids, usage last), settled when the usage
 * arrives (before its chunk goes out), given the documents call, built into chunks. Only the settlement is awaited.
 */
class ChunkPump {
  /** The engine's events are over and the last chunks made. */
  ended = false;
  private readonly batches: AsyncIterator<readonly EngineChatEvent[]>;

  constructor(
    batches: AsyncIterable<readonly EngineChatEvent[]>,
    private readonly steps: ChatStreamSteps,
  ) {
    this.batches = batches[Symbol.asyncIterator]();
  }

  /** Appends the chunks of the engine's next batch of events (or of its end) to `queue`. */
  async fill(queue: ChatCompletionChunk[]): Promise<void> {
    const next = await this.batches.next();
    const { normalizer } = this.steps;
    if (next.done !== true) {
      // The normaliser holds the usage back for end(): no event of a batch needs awaiting.
      for (const engineEvent of next.value)
        for (const event of normalizer.push(engineEvent)) this.build(event, queue);
      return;
    }
    this.ended = true;
    for (const event of normalizer.end()) {
      if (event.type === 'usage') await this.steps.metering?.completed(event.usage);
      this.build(event, queue);
    }
  }

  private build(event: EngineChatEvent, queue: ChatCompletionChunk[]): void {
    const { documents, builder } = this.steps;
    if (documents === undefined) {
      for (const chunk of builder.chunksOf(event)) queue.push(chunk);
      return;
    }
    for (const item of documents.push(event))
      for (const chunk of builder.chunksOf(item)) queue.push(chunk);
  }

  /** Stops the engine, then settles or releases what the call reserved (metered-events.ts). */
  async close(): Promise<void> {
    try {
      await this.batches.return?.();
    } finally {
      await this.steps.metering?.close();
    }
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The chunks of a pump, one `next()` a chunk: a queued chunk is handed out in one resolved promise, and only an empty
 * queue waits for the engine. In place of an async generator and a closingStream around it (two promise hops and a
 * generator resume per chunk), with their contract: errors come out as Venice errors, and `close` runs once however
 * it ends (done, failed, returned or thrown into, started or not), a `return()` waiting for a fill in flight.
 */
class ChunkStream implements AsyncGenerator<ChatCompletionChunk, undefined> {
  private position = 0;
  private finished = false;
  private closed: Promise<void> | undefined;
  private filling: Promise<void> | undefined;

  constructor(
    private readonly pump: ChunkPump,
    private readonly queue: ChatCompletionChunk[],
  ) {}

  next(): Promise<IteratorResult<ChatCompletionChunk, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    const { queue } = this;
    if (this.position < queue.length) {
      const chunk = queue[this.position]!;
      this.position += 1;
      return Promise.resolve({ done: false, value: chunk });
    }
    queue.length = 0;
    this.position = 0;
    if (this.pump.ended) return this.finish().then(() => DONE);
    const filling = this.pump.fill(queue);
    this.filling = filling;
    return filling.then(
      () => {
        this.filling = undefined;
        return this.next();
      },
      (error: unknown) => {
        this.filling = undefined;
        return this.finish().then(() => {
          throw mapped(error);
        });
      },
    );
  }

  async return(): Promise<IteratorResult<ChatCompletionChunk, undefined>> {
    this.finished = true;
    await this.filling?.catch(() => undefined);
    await this.close();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ChatCompletionChunk, undefined>> {
    await this.finish();
    throw mapped(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): Promise<void> {
    this.finished = true;
    return this.close();
  }

  private close(): Promise<void> {
    this.closed ??= this.pump.close();
    return this.closed;
  }
}

/**
 * A streamed completion's chunks. The engine's first chunk is awaited before returning, so failures before the
 * first byte (and upstream failover) still get a proper status: they are thrown here, with the call's reservation
 * released. However the stream ends after that — done, failed, or returned by a writer whose client left, even
 * before its first chunk — the engine is stopped and the reservation settled or released once (ChunkStream).
 */
export async function chatChunkStream(
  batches: AsyncIterable<readonly EngineChatEvent[]>,
  steps: ChatStreamSteps,
): Promise<AsyncGenerator<ChatCompletionChunk>> {
  const pump = new ChunkPump(batches, steps);
  const queue: ChatCompletionChunk[] = [];
  try {
    while (queue.length === 0 && !pump.ended) await pump.fill(queue);
  } catch (error) {
    await pump.close();
    throw mapped(error);
  }
  return new ChunkStream(pump, queue);
}
