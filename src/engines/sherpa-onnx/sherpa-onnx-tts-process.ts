import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loaderArguments, siblingModule } from '../../runtime/sibling-module.ts';
import { EngineError } from '../engine-error.ts';
import type { OfflineTtsConfig } from './sherpa-onnx-module.ts';
import type { ParentMessage, Reference, WorkerMessage } from './sherpa-onnx-tts-messages.ts';

const WORKER = fileURLToPath(siblingModule(import.meta.url, './sherpa-onnx-tts-worker'));
/** A model that has not loaded in this long is not going to. */
const LOAD_TIMEOUT_MS = 300_000;

interface Pending {
  /** The process it was sent to. */
  child: ChildProcess;
  resolve(samples: Float32Array): void;
  reject(error: EngineError): void;
}

/** What the loaded model reported. */
export interface TtsInfo {
  sampleRate: number;
  numSpeakers: number;
}

/**
 * One OfflineTts in a child process of its own (sherpa-onnx-tts-worker.ts): sherpa-onnx's exit() on bad input, a
 * native crash, or a generate that never returns (an onnxruntime failure in its threadpool hangs the call) ends or
 * stalls that process only. The requests it was serving fail; the next request starts a new process.
 */
export class SherpaOnnxTtsProcess {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly config: OfflineTtsConfig,
    private readonly timeoutMs: number,
  ) {}

  /** Starts the process and loads the model; rejects with sherpa-onnx's reason when it cannot. */
  async start(): Promise<TtsInfo> {
    const child = fork(WORKER, [], {
      execArgv: loaderArguments(import.meta.url),
      serialization: 'advanced',
      // sherpa-onnx writes to stderr from native code, some lines quoting the text it was given: not logged.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const info = await new Promise<TtsInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the model did not load in time')),
        LOAD_TIMEOUT_MS,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`sherpa-onnx ended while loading the model (${signal ?? `exit code ${code}`})`),
        );
      });
      child.once('message', (message: WorkerMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message);
        else
          reject(new Error(message.type === 'load-failed' ? message.message : 'unexpected answer'));
      });
      this.send(child, { type: 'load', config: this.config });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    child.removeAllListeners();
    child.on('message', (message: WorkerMessage) => this.answer(message));
    child.once('exit', (code, signal) =>
      this.retire(child, `it ended: ${signal ?? `exit code ${code}`}`),
    );
    // The server's lifetime is its own: an idle process (and its channel) does not keep it running.
    child.unref();
    child.channel?.unref();
    this.child = child;
    return info;
  }

  /** Samples for one piece of text; EngineError 'failed' if the process dies, 'timeout' (and the process is killed) if it stalls. */
  async generate(
    request: { text: string; sid: number; speed: number; language?: string; reference?: Reference },
    signal: AbortSignal,
  ): Promise<Float32Array> {
    if (this.closed) throw new EngineError('offline', 'the sherpa-onnx engine is closed');
    const child = await this.running();
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new EngineError('timeout', `sherpa-onnx did not answer in ${this.timeoutMs} ms`));
        this.retire(child, 'it stalled and was killed');
      }, this.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        this.pending.delete(id);
      };
      // An abandoned request's samples are dropped when they come; the process goes on with the others.
      const abort = (): void => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', abort, { once: true });
      this.pending.set(id, {
        child,
        resolve: (samples) => {
          done();
          resolve(samples);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.send(child, { type: 'generate', id, ...request });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  /** The live process, started again after one ended. */
  private async running(): Promise<ChildProcess> {
    if (this.child !== undefined) return this.child;
    this.starting ??= this.start()
      .then(() => {
        if (this.child === undefined) throw new Error('the sherpa-onnx process ended at once');
        return this.child;
      })
      .catch((error: unknown) => {
        throw new EngineError(
          'offline',
          `sherpa-onnx could not load the model again: ${String(error)}`,
        );
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  private answer(message: WorkerMessage): void {
    if (message.type !== 'audio' && message.type !== 'failed') return;
    const pending = this.pending.get(message.id);
    if (message.type === 'audio') pending?.resolve(message.samples);
    else pending?.reject(new EngineError('failed', `sherpa-onnx: ${message.message}`));
  }

  /** Stops using `child` (killing it): the requests it was serving fail; the next one starts a new process. */
  private retire(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    child.kill('SIGKILL');
    for (const pending of [...this.pending.values()])
      if (pending.child === child)
        pending.reject(new EngineError('failed', `the sherpa-onnx process failed (${why})`));
  }

  private send(child: ChildProcess, message: ParentMessage): void {
    if (child.connected) child.send(message, undefined, undefined, () => undefined);
  }
}
