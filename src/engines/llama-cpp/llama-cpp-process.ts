import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ModelConfig } from '../../config.ts';
import { measureJson } from '../../schemas/json-bounds.ts';
import { loaderArguments, siblingModule } from '../../runtime/sibling-module.ts';
import { EngineError } from '../engine-error.ts';
import type {
  AnswerMessage,
  ParentMessage,
  WorkerMessage,
  WorkerRequest,
} from './llama-cpp-messages.ts';

/** The worker runs as the server does: the TypeScript sources through tsx's loader, or the compiled dist/. */
const WORKER = fileURLToPath(siblingModule(import.meta.url, './llama-cpp-worker'));
/** A restart waits 250 ms, then twice as long after each crash in a row, up to 30 s; a process that ran a minute resets it. */
const FIRST_RESTART_MS = 250;
const LONGEST_RESTART_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
const CLOSE_GRACE_MS = 5_000;
/**
 * IPC's structured clone recurses: a message nested ~2,000 levels deep overflows the worker's stack as it is read,
 * and that kills the process and every request in it. Nothing a request may carry comes near (bodies nest at most
 * 128 levels, http/json-body-depth.ts), so a message past this is refused before it is sent.
 */
const IPC_DEPTH = 256;

/** What a request's answer is given to: each worker message with its id, or the process's death. */
export interface RequestHandler {
  message(message: AnswerMessage): void;
  fail(error: EngineError): void;
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * One llama.cpp model in a child process of its own (llama-cpp-worker.ts): a crash in native code (SIGSEGV, an
 * abort, the OOM killer's SIGKILL) ends that process, not the server. Requests it was serving fail with
 * EngineError 'failed'; the process is started again, with backoff, and requests arriving meanwhile wait for it
 * (or fail with 'offline' when a restart cannot load the model).
 */
export class LlamaCppProcess {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private readonly handlers = new Map<number, RequestHandler>();
  private nextId = 1;
  private crashes = 0;
  private readyAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The loaded model's context size and threads (from the first start). */
  info = { contextSize: 0, threads: 0 };

  constructor(
    private readonly model: ModelConfig,
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Starts the process and loads the model; rejects (with the worker's reason) when it cannot, like the in-process engine. */
  async start(): Promise<void> {
    const starting = this.spawn();
    this.starting = starting;
    try {
      this.ready(await starting);
    } finally {
      this.starting = undefined;
    }
  }

  /** The process id serving now (undefined while restarting). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.handlers.size;
  }

  /** The running process, waiting for a restart in progress; 'offline' when there is none or it fails. */
  async running(signal?: AbortSignal): Promise<ChildProcess> {
    if (this.child !== undefined) return this.child;
    const starting = this.starting;
    if (this.closed || starting === undefined)
      throw new EngineError('offline', 'the llama.cpp process is not running');
    try {
      return await (signal === undefined
        ? starting
        : Promise.race([
            starting,
            new Promise<never>((_resolve, reject) => {
              if (signal.aborted) reject(signal.reason);
              signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            }),
          ]));
    } catch (error) {
      if (signal?.aborted === true)
        throw new EngineError('failed', 'request aborted by the client', {
          cause: error,
          retryable: false,
        });
      throw new EngineError(
        'offline',
        `the llama.cpp process could not be restarted: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Sends a request to `child`; its answers go to `handler` until a `done` or `failed`. A request that cannot be
   * sent fails (through `handler`) after this returns, when the caller holds the id.
   */
  request(
    child: ChildProcess,
    message: Distribute<WorkerRequest>,
    handler: RequestHandler,
  ): number {
    const id = this.nextId++;
    if (
      measureJson(message, {
        depth: IPC_DEPTH,
        nodes: Number.POSITIVE_INFINITY,
        branching: Number.POSITIVE_INFINITY,
      }).breach !== undefined
    ) {
      queueMicrotask(() =>
        handler.fail(
          new EngineError('bad_request', `The request nests deeper than ${IPC_DEPTH} levels`),
        ),
      );
      return id;
    }
    this.handlers.set(id, handler);
    this.send(child, { ...message, id } as WorkerRequest, () => {
      if (this.handlers.delete(id))
        queueMicrotask(() =>
          handler.fail(new EngineError('failed', 'the llama.cpp process is gone')),
        );
    });
    return id;
  }

  /** Asks the worker to stop request `id` (best effort: a process that is gone has stopped it). */
  abort(child: ChildProcess, id: number): void {
    if (this.handlers.has(id)) this.send(child, { type: 'abort', id }, () => undefined);
  }

  /** Ends the process (after its model is freed, or after 5 s); no restart follows. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child ?? (await this.starting?.catch(() => undefined));
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send(child, { type: 'close' }, () => child.kill('SIGKILL'));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private send(child: ChildProcess, message: ParentMessage, onError: () => void): void {
    if (!child.connected) {
      onError();
      return;
    }
    // A message that cannot be serialized throws here, not in the callback.
    try {
      child.send(message, (error) => {
        if (error !== null) onError();
      });
    } catch {
      onError();
    }
  }

  private spawn(): Promise<ChildProcess> {
    const child = fork(WORKER, [], {
      execArgv: loaderArguments(import.meta.url),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          this.info = { contextSize: message.contextSize, threads: message.threads };
          resolve(child);
        } else if (message.type === 'load-failed') reject(new Error(message.message));
        else if (message.type === 'log')
          this.logger[message.level](
            { engine: 'llama-cpp', model: this.model.id, workerPid: child.pid },
            message.message,
          );
        else if (message.type === 'events')
          for (const call of message.calls) this.answer({ type: 'events', ...call });
        else this.answer(message);
      });
      // A failed spawn or send; the exit that follows (if any) does the rest.
      child.on('error', (error) => {
        this.logger.error({ err: error, model: this.model.id }, 'llama.cpp process error');
        reject(error);
      });
      child.once('exit', (code, signal) => {
        reject(
          new Error(
            `the llama.cpp process exited (${signal ?? `code ${code}`}) before loading the model`,
          ),
        );
        this.exited(child, signal ?? `code ${code}`);
      });
      this.send(child, { type: 'load', model: this.model, path: this.path }, () => undefined);
    });
  }

  private ready(child: ChildProcess): void {
    this.child = child;
    this.readyAt = Date.now();
  }

  private answer(message: AnswerMessage): void {
    const handler = this.handlers.get(message.id);
    if (handler === undefined) return;
    if (message.type === 'done' || message.type === 'failed') this.handlers.delete(message.id);
    handler.message(message);
  }

  /** The process ended: fail what it was serving and, unless closing, start another after the backoff. */
  private exited(child: ChildProcess, reason: string): void {
    // A process that never loaded its model: its start already failed.
    if (this.child !== child) return;
    this.child = undefined;
    const failure = new EngineError('failed', `the llama.cpp process exited (${reason})`, {
      retryable: false,
    });
    const handlers = [...this.handlers.values()];
    this.handlers.clear();
    for (const handler of handlers) handler.fail(failure);
    if (this.closed) return;
    if (Date.now() - this.readyAt >= STABLE_AFTER_MS) this.crashes = 0;
    this.logger.error(
      { model: this.model.id, workerPid: child.pid, reason, failedRequests: handlers.length },
      'llama.cpp process exited; restarting it',
    );
    this.restart();
  }

  private restart(): void {
    const delay = Math.min(LONGEST_RESTART_MS, FIRST_RESTART_MS * 2 ** this.crashes);
    this.crashes += 1;
    const attempt = new Promise<void>((resolve) => {
      this.restartTimer = setTimeout(resolve, delay);
    }).then(() => (this.closed ? Promise.reject(new Error('the engine is closed')) : this.spawn()));
    this.starting = attempt;
    attempt.then(
      (child) => {
        this.starting = undefined;
        if (this.closed) {
          child.kill('SIGKILL');
          return;
        }
        this.ready(child);
        this.logger.warn(
          { model: this.model.id, workerPid: child.pid },
          'llama.cpp process restarted',
        );
      },
      (error: unknown) => {
        if (this.closed) return;
        this.logger.error(
          { model: this.model.id, err: error },
          'llama.cpp process could not be restarted; trying again',
        );
        this.restart();
      },
    );
  }
}
