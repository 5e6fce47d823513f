import { Worker } from 'node:worker_threads';
import { EngineError } from '../engine-error.ts';
import { siblingModule, threadBootstrap } from '../../runtime/sibling-module.ts';
import type { EsrganScale } from './esrgan-model.ts';
import type { EsrganWorkerOptions, WorkerReply } from './esrgan-messages.ts';
import type { RgbImage } from './tiled-upscale.ts';

/**
 * The thread runs what the server runs: the TypeScript sources (registering tsx's loader first, which a worker does
 * not inherit from its parent) or the compiled dist/.
 */
const BOOTSTRAP = threadBootstrap(siblingModule(import.meta.url, './esrgan-worker-thread'));

interface PendingJob {
  id: number;
  /** The thread running it. */
  worker: Worker;
  resolve: (rgb: Buffer) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
}

/**
 * One worker thread holding both ESRGAN networks, run one job at a time (the engine's semaphore sees to
 * that). The thread is started by start() and, after it dies (a crash, an out-of-memory wasm heap), again
 * by the next start(); a job it was running fails with EngineError 'failed'.
 */
export class EsrganWorker {
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private pending: PendingJob | undefined;
  private nextId = 1;

  constructor(private readonly options: EsrganWorkerOptions) {}

  /** Starts the thread if it is not running; resolves once its models are loaded, rejects if they cannot be. */
  async start(): Promise<void> {
    if (this.worker !== undefined) return;
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    await this.starting;
  }

  private spawn(): Promise<Worker> {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: this.options });
    return new Promise((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          this.worker = worker;
          resolve(worker);
        } else if (reply.type === 'load-failed') {
          reject(new Error(`esrgan engine: cannot load the models: ${reply.message}`));
          void worker.terminate();
        } else {
          this.settle(reply);
        }
      });
      worker.on('error', (error) => {
        reject(error);
        this.fail(
          worker,
          new EngineError('failed', `esrgan worker failed: ${error.message}`, { cause: error }),
        );
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        reject(new Error(`esrgan worker exited (code ${code}) before loading its models`));
        this.fail(worker, new EngineError('failed', `esrgan worker exited (code ${code})`));
      });
    });
  }

  private settle(reply: Exclude<WorkerReply, { type: 'ready' | 'load-failed' }>): void {
    const job = this.pending;
    if (job === undefined || job.id !== reply.id) return;
    this.pending = undefined;
    if (reply.type === 'done')
      job.resolve(Buffer.from(reply.rgb.buffer, reply.rgb.byteOffset, reply.rgb.byteLength));
    else if (reply.type === 'stopped') job.reject(job.signal.reason);
    else {
      job.reject(new EngineError('failed', `esrgan upscale failed: ${reply.message}`));
      // A failed run may leave the wasm heap aborted (out of memory): the next start() gets a fresh thread.
      if (this.worker === job.worker) this.worker = undefined;
      void job.worker.terminate();
    }
  }

  /** Fails the job `worker` was running, if any. */
  private fail(worker: Worker, error: EngineError): void {
    const job = this.pending;
    if (job?.worker !== worker) return;
    this.pending = undefined;
    job.reject(error);
  }

  /**
   * Upscales RGB pixels `scale` times. When `signal` aborts, the thread stops before its next tile and
   * the call rejects with the signal's reason; it settles only once the thread is free again.
   */
  async upscale(image: RgbImage, scale: EsrganScale, signal: AbortSignal): Promise<Buffer> {
    signal.throwIfAborted();
    await this.start();
    signal.throwIfAborted();
    const worker = this.worker;
    if (worker === undefined || this.pending !== undefined)
      throw new EngineError('failed', 'esrgan worker is not available');
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const onAbort = (): void => {
      Atomics.store(stop, 0, 1);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // A copy the thread owns (the caller's buffer may be a view into a larger one).
    const rgb = new Uint8Array(image.data);
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const id = this.nextId++;
        this.pending = { id, worker, resolve, reject, signal };
        worker.postMessage(
          { type: 'upscale', id, scale, width: image.width, height: image.height, rgb, stop },
          [rgb.buffer],
        );
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Ends the thread; a job it was running fails. */
  async close(): Promise<void> {
    const worker = this.worker ?? (await this.starting?.catch(() => undefined));
    this.worker = undefined;
    await worker?.terminate();
  }
}
