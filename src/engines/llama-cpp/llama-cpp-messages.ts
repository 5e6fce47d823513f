// What the server and an isolated llama.cpp process (llama-cpp-worker.ts) say to each other over IPC (Node's
// structured-clone serialization). Every request carries an id; the worker answers it with `event`s (chat) and
// then exactly one `done` or `failed`, unless the process dies first.
import type { ModelConfig } from '../../config.ts';
import type {
  EngineChatEvent,
  EngineChatRequest,
  EngineEmbedRequest,
  EngineUsage,
} from '../engine.ts';
import { EngineError, type EngineFailure } from '../engine-error.ts';

export type WorkerRequest =
  | { type: 'chat'; id: number; request: EngineChatRequest }
  | { type: 'embed'; id: number; request: EngineEmbedRequest }
  | { type: 'count'; id: number; text: string }
  | { type: 'health'; id: number };

export type ParentMessage =
  /** The first message: load this model (as LlamaCppRuntime.loadEngine does in process). */
  | { type: 'load'; model: ModelConfig; path: string }
  | WorkerRequest
  /** The client went away: stop request `id` (its answer is a `failed`). */
  | { type: 'abort'; id: number }
  /** Free the model and exit. */
  | { type: 'close' };

/** One call's events of one tick, with the usage so far (what a client that leaves is charged for). */
export interface CallEvents {
  id: number;
  events: EngineChatEvent[];
  usage: EngineUsage | undefined;
}

/** What a request's handler is told: its events, then one `done` or `failed`. */
export type AnswerMessage =
  | ({ type: 'events' } & CallEvents)
  | Extract<WorkerMessage, { id: number }>;

export interface SerializedEngineError {
  failure: EngineFailure;
  message: string;
  retryable?: boolean;
  status?: number;
}

export type WorkerMessage =
  | { type: 'ready'; contextSize: number; threads: number }
  | { type: 'load-failed'; message: string }
  /** llama.cpp's own warnings and errors, for the server's log. */
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  /** The chat events of one tick, every call's in one message (the sequences of a batch decode together). */
  | { type: 'events'; calls: CallEvents[] }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: SerializedEngineError; usage: EngineUsage | undefined };

export function serializeError(error: unknown): SerializedEngineError {
  if (!(error instanceof EngineError))
    return {
      failure: 'failed',
      message: `llama.cpp failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  const { retryable, status } = error.options;
  return {
    failure: error.failure,
    message: error.message,
    ...(retryable === undefined ? {} : { retryable }),
    ...(status === undefined ? {} : { status }),
  };
}

export function deserializeError(error: SerializedEngineError): EngineError {
  return new EngineError(error.failure, error.message, {
    ...(error.retryable === undefined ? {} : { retryable: error.retryable }),
    ...(error.status === undefined ? {} : { status: error.status }),
  });
}
