import type { EngineChatEvent, EngineUsage, FinishReason } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { ServerSentEventParser, type ServerSentEvent } from './sse-parser.ts';

interface UpstreamToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string | Record<string, unknown> };
}
interface UpstreamMessage {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: UpstreamToolCall[] | null;
}
interface UpstreamChoice {
  index?: number;
  delta?: UpstreamMessage;
  message?: UpstreamMessage;
  finish_reason?: string | null;
}
export interface UpstreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}
export interface UpstreamCompletion {
  choices?: UpstreamChoice[];
  usage?: UpstreamUsage | null;
  error?: unknown;
}

/** Finish reasons of every server, in Venice's enum (stop | length | tool_calls). */
export function finishReasonOf(reason: string): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  return 'stop';
}

export function usageOf(usage: UpstreamUsage): EngineUsage {
  const result: EngineUsage = {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
  };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (typeof cached === 'number') result.cachedTokens = cached;
  if (typeof reasoning === 'number') result.reasoningTokens = reasoning;
  return result;
}

/**
 * Events from one upstream chunk (streaming `delta`) or response (`message`). Reasoning arrives as
 * `reasoning_content` (vLLM ≤ 0.10, llama.cpp) or `reasoning` (newer vLLM, Ollama); tool-call arguments
 * as string fragments, or (some servers) as a whole object, which is serialised.
 */
export function eventsOf(completion: UpstreamCompletion): EngineChatEvent[] {
  const events: EngineChatEvent[] = [];
  let position = -1;
  for (const choice of completion.choices ?? []) {
    position += 1;
    const index = choice.index ?? position;
    const message = choice.delta ?? choice.message ?? {};
    const reasoning = message.reasoning_content ?? message.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '')
      events.push({ type: 'reasoning', choice: index, text: reasoning });
    if (typeof message.content === 'string' && message.content !== '')
      events.push({ type: 'content', choice: index, text: message.content });
    for (const [callPosition, call] of (message.tool_calls ?? []).entries()) {
      const rawArguments = call.function?.arguments;
      const event: EngineChatEvent = {
        type: 'tool_call',
        choice: index,
        index: call.index ?? callPosition,
        arguments:
          typeof rawArguments === 'string'
            ? rawArguments
            : rawArguments === undefined
              ? ''
              : JSON.stringify(rawArguments),
      };
      if (call.id !== undefined) event.id = call.id;
      if (call.function?.name !== undefined) event.name = call.function.name;
      events.push(event);
    }
    if (typeof choice.finish_reason === 'string')
      events.push({ type: 'finish', choice: index, reason: finishReasonOf(choice.finish_reason) });
  }
  return events;
}

/** The characters of a JSON string with no escape and no control character in it. */
const PLAIN_CHARACTERS = '[^"\\\\\\x00-\\x1f]*';
/** A JSON integer as an index or a timestamp is written: no sign, no fraction, no leading zero. */
const PLAIN_INTEGER = '(?:0|[1-9]\\d*)';
/** One of the fields that say which completion a chunk belongs to, none of which the engine reads. */
const IDENTITY_FIELD = `(?:"(?:id|object|model|system_fingerprint)":"${PLAIN_CHARACTERS}"|"created":${PLAIN_INTEGER})`;
const TEXT_DELTA = `"delta":\\{"content":"(${PLAIN_CHARACTERS})"\\}`;
/**
 * The one chunk a streamed answer is mostly made of: identity fields in any order (OpenAI and vLLM write id, object,
 * created, model; llama.cpp sorts its keys), then or before them one choice that is only text with no escape and
 * nothing finished — index, delta, logprobs null, finish_reason null in OpenAI's order, or finish_reason, index,
 * delta in llama.cpp's — and no other field (no usage, no error). Written to JSON's grammar (no control character in
 * a string, no leading zero), so a match means what JSON.parse of it would.
 */
const PLAIN_CONTENT_CHUNK = new RegExp(
  `^\\{(?:${IDENTITY_FIELD},)*"choices":\\[\\{(?:"index":(${PLAIN_INTEGER}),${TEXT_DELTA},(?:"logprobs":null,)?"finish_reason":null|"finish_reason":null,"index":(${PLAIN_INTEGER}),${TEXT_DELTA})\\}\\](?:,${IDENTITY_FIELD})*\\}$`,
);

/**
 * The content event of a plain text chunk (PLAIN_CONTENT_CHUNK) read straight from its text, without parsing it
 * into objects (eventsOf(JSON.parse(data)) makes the same event, or none when the text is empty); undefined for
 * any other chunk, which takes the general path.
 */
export function plainContentOf(
  data: string,
): { type: 'content'; choice: number; text: string } | undefined {
  const match = PLAIN_CONTENT_CHUNK.exec(data);
  if (match === null) return undefined;
  // With no escape in it, the text between the quotes is the string JSON.parse would make.
  return match[1] === undefined
    ? { type: 'content', choice: Number(match[3]), text: match[4]! }
    : { type: 'content', choice: Number(match[1]), text: match[2]! };
}

/** The bytes of text an event adds to the completion (for the running usage estimate). */
function generatedBytes(event: EngineChatEvent): number {
  const text =
    event.type === 'content' || event.type === 'reasoning'
      ? event.text
      : event.type === 'tool_call'
        ? event.arguments
        : '';
  return text === '' ? 0 : Buffer.byteLength(text);
}

/**
 * An upstream's streamed answer turned into engine events, one body piece at a time and synchronously, so
 * that the engine hands on every event of a piece without a promise per SSE event. It keeps `running` (the
 * call's usage) current with an estimate of what was generated, until the upstream's own usage arrives
 * (`usage`). An `error` event, a chunk with an `error`, or one that is not JSON fails the stream with an
 * EngineError, thrown by `throwFailure` once the events before it were handed on (and by any later `push` or
 * `end`); a body that ends without a single event throws from `end`. Events after [DONE] are ignored.
 */
export class UpstreamChatStream {
  /** The upstream's own usage, from the last chunk that carried one. */
  usage: EngineUsage | undefined;
  private readonly parser = new ServerSentEventParser();
  private received = 0;
  private done = false;
  private completionBytes = 0;
  private failure: EngineError | undefined;

  /** `messageOf` finds the message in an upstream's error body (upstream-errors.ts upstreamMessage). */
  constructor(
    private readonly running: EngineUsage,
    private readonly messageOf: (body: unknown) => string,
  ) {}

  push(piece: Uint8Array | string): EngineChatEvent[] {
    if (this.failure !== undefined) throw this.failure;
    return this.decode(this.parser.push(piece));
  }

  /** Throws the failure the last piece ended on, if any: call it once that piece's events are handed on. */
  throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** The events left at the end of the body. */
  end(): EngineChatEvent[] {
    if (this.failure !== undefined) throw this.failure;
    // At most one event is left, so nothing comes before a failure it makes.
    const events = this.decode(this.parser.end());
    this.throwFailure();
    if (this.received === 0)
      throw new EngineError('failed', 'upstream stream ended without a single event');
    return events;
  }

  /** Counts `events` into the running estimate; returns them. */
  track(events: EngineChatEvent[]): EngineChatEvent[] {
    for (const event of events) this.completionBytes += generatedBytes(event);
    this.running.completionTokens = Math.ceil(this.completionBytes / 4);
    return events;
  }

  private decode(sse: ServerSentEvent[]): EngineChatEvent[] {
    this.received += sse.length;
    if (this.done) return [];
    const events: EngineChatEvent[] = [];
    for (const event of sse) {
      if (event.data === '[DONE]') {
        this.done = true;
        break;
      }
      if (event.event === undefined) {
        const plain = plainContentOf(event.data);
        if (plain !== undefined) {
          // An empty text makes no event (eventsOf's rule).
          if (plain.text !== '') events.push(plain);
          continue;
        }
      }
      const chunk = this.chunkOf(event);
      if (chunk === undefined) break;
      for (const item of eventsOf(chunk)) events.push(item);
      if (chunk.usage) this.usage = usageOf(chunk.usage);
    }
    return this.track(events);
  }

  /** The event's chunk, or undefined when it fails the stream (then `failure` says why). */
  private chunkOf(event: ServerSentEvent): UpstreamCompletion | undefined {
    let chunk: UpstreamCompletion;
    try {
      chunk = JSON.parse(event.data) as UpstreamCompletion;
    } catch {
      this.failure = new EngineError('failed', 'upstream sent an event that is not JSON');
      return undefined;
    }
    if (event.event !== 'error' && chunk.error === undefined) return chunk;
    this.failure = new EngineError(
      'failed',
      `upstream failed mid-stream: ${this.messageOf(chunk) || event.data.slice(0, 200)}`,
    );
    return undefined;
  }
}
