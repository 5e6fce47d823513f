import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { ModelConfig } from '../../config.ts';
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
import type { EngineError } from '../engine-error.ts';
import { AsyncQueue } from './async-queue.ts';
import { deserializeError, type WorkerRequest } from './llama-cpp-messages.ts';
import { LlamaCppProcess } from './llama-cpp-process.ts';
import { llamaCppConfigOf } from './llama-cpp-config.ts';

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The llama-cpp engine with its model in a child process (engine isolation: process): the same engine
 * (llama-cpp-engine.ts) runs in llama-cpp-worker.ts, and this class relays calls to it over IPC, so callers see the
 * TextEngine they would in process. When the process dies, the calls it was serving fail with EngineError
 * 'failed' (INFERENCE_FAILED; a stream ends with its error event) and LlamaCppProcess starts it again.
 */
export class IsolatedLlamaCppEngine implements TextEngine {
  readonly kind = 'llama-cpp';
  readonly modality = 'text';
  /** Chats sent to the process and not answered yet (their sequence is busy, or they wait for one). */
  private chats = 0;

  private constructor(
    private readonly worker: LlamaCppProcess,
    private readonly sequences: number,
  ) {}

  /** Starts the process and loads the model; rejects when it cannot (a missing or bad GGUF), as loading in process does. */
  static async start(
    model: ModelConfig,
    path: string,
    logger: Logger,
  ): Promise<IsolatedLlamaCppEngine> {
    const { sequences } = llamaCppConfigOf(model, path);
    const worker = new LlamaCppProcess(model, path, logger);
    await worker.start();
    return new IsolatedLlamaCppEngine(worker, model.type === 'text' ? sequences : 0);
  }

  get contextSize(): number {
    return this.worker.info.contextSize;
  }

  get threads(): number {
    return this.worker.info.threads;
  }

  /** The id of the process serving the model now; undefined while it restarts. */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  load(): EngineLoad {
    return {
      active: Math.min(this.chats, this.sequences),
      queued: Math.max(0, this.chats - this.sequences),
      capacity: this.sequences,
    };
  }

  async *streamChat(request: EngineChatRequest, call: EngineCall): AsyncGenerator<EngineChatEvent> {
    for await (const batch of this.streamChatBatches(request, call)) yield* batch;
  }

  /** The token events of one message of the worker (every event it made in one turn) in one batch. */
  async *streamChatBatches(
    request: EngineChatRequest,
    call: EngineCall,
  ): AsyncGenerator<EngineChatEvent[]> {
    const child = await this.worker.running(call.signal);
    call.servedBy = this.kind;
    const usage: EngineUsage = { promptTokens: 0, completionTokens: 0 };
    call.usage = usage;
    const queue = new AsyncQueue<EngineChatEvent[]>();
    let answered = false;
    const answer = (): void => {
      answered = true;
      this.chats -= 1;
    };
    this.chats += 1;
    const id = this.worker.request(
      child,
      { type: 'chat', request },
      {
        message: (message) => {
          if (message.type !== 'done' && message.usage !== undefined)
            Object.assign(usage, message.usage);
          if (message.type === 'events') {
            if (message.events.length > 0) queue.push(message.events);
          } else {
            answer();
            if (message.type === 'done') queue.end();
            else queue.fail(deserializeError(message.error));
          }
        },
        fail: (error) => {
          answer();
          queue.fail(error);
        },
      },
    );
    const onAbort = (): void => this.worker.abort(child, id);
    call.signal.addEventListener('abort', onAbort, { once: true });
    try {
      yield* queue;
    } finally {
      call.signal.removeEventListener('abort', onAbort);
      // The caller stopped early: the worker frees the sequence, and the chat counts as busy until it says so.
      if (!answered) this.worker.abort(child, id);
    }
  }

  async embed(request: EngineEmbedRequest, call: EngineCall): Promise<EngineEmbedResult> {
    const result = await this.ask<EngineEmbedResult>({ type: 'embed', request }, call.signal);
    call.servedBy = this.kind;
    return result;
  }

  countTokens(_model: string, text: string): Promise<number> {
    return this.ask<number>({ type: 'count', text });
  }

  /** The worker's own answer (its sequences), or why there is none: restarting, or not answering. */
  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    if (this.worker.pid === undefined)
      return { healthy: false, detail: 'the llama.cpp process is restarting' };
    try {
      const answer = await this.ask<{ healthy: boolean; detail: string }>(
        { type: 'health' },
        signal,
      );
      return { ...answer, detail: `${answer.detail} (process ${this.worker.pid})` };
    } catch (error) {
      return {
        healthy: false,
        detail: `the llama.cpp process does not answer: ${(error as Error).message}`,
      };
    }
  }

  close(): Promise<void> {
    return this.worker.close();
  }

  /** One request with one answer; aborting `signal` asks the worker to stop it. */
  private async ask<T>(
    message: Distribute<Exclude<WorkerRequest, { type: 'chat' }>>,
    signal?: AbortSignal,
  ): Promise<T> {
    const child: ChildProcess = await this.worker.running(signal);
    return new Promise<T>((resolve, reject) => {
      const id = this.worker.request(child, message, {
        message: (answer) => {
          signal?.removeEventListener('abort', onAbort);
          if (answer.type === 'done') resolve(answer.value as T);
          else if (answer.type === 'failed') reject(deserializeError(answer.error));
        },
        fail: (error: EngineError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      const onAbort = (): void => this.worker.abort(child, id);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
