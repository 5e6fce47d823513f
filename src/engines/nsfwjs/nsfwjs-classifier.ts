import { Worker } from 'node:worker_threads';
import type { ContentClassifier } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { siblingModule, threadBootstrap } from '../../runtime/sibling-module.ts';
import { untrustedImage, withImageSlot } from '../untrusted-image.ts';
import type { ClassifierReply, NsfwjsModelName } from './nsfwjs-messages.ts';

/** The thread runs what the server runs: the TypeScript sources (registering tsx's loader first) or dist/. */
const BOOTSTRAP = threadBootstrap(siblingModule(import.meta.url, './nsfwjs-worker-thread'));

/** nsfwjs's classes that are adult content; Drawing and Neutral are not. */
const ADULT_CLASSES = ['Porn', 'Hentai', 'Sexy'];

interface Pending {
  resolve: (scores: Record<string, number>) => void;
  reject: (error: unknown) => void;
}

/**
 * Adult-content scores from nsfwjs (MobileNetV2 by default, whose weights ship inside the npm package), run
 * on TensorFlow.js's wasm backend in a worker thread started on first use. The image is decoded and resized
 * with sharp here; the thread only runs the network (~80 ms for MobileNetV2 on one core). A thread that dies
 * fails its pending calls and is started again by the next one.
 */
export class NsfwjsClassifier implements ContentClassifier {
  private worker: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly model: NsfwjsModelName = 'MobileNetV2') {}

  private start(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: this.model });
      worker.on('message', (reply: ClassifierReply) => {
        if (reply.type === 'ready') return resolve(worker);
        if (reply.type === 'load-failed') {
          reject(new EngineError('failed', `nsfwjs cannot load ${this.model}: ${reply.message}`));
          return void worker.terminate();
        }
        const call = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.type === 'scores') call?.resolve(reply.scores);
        else call?.reject(new EngineError('failed', `nsfwjs failed: ${reply.message}`));
      });
      worker.on('error', (error) => reject(error));
      worker.on('exit', (code) => {
        this.worker = undefined;
        reject(new EngineError('failed', `nsfwjs worker exited (code ${code})`));
        for (const call of this.pending.values())
          call.reject(new EngineError('failed', `nsfwjs worker exited (code ${code})`));
        this.pending.clear();
      });
    });
    // A thread that failed to start is started afresh by the next call.
    this.worker.catch(() => {
      this.worker = undefined;
    });
    return this.worker;
  }

  async adultScore(image: Buffer): Promise<number> {
    const size = this.model === 'InceptionV3' ? 299 : 224;
    const rgb = await withImageSlot(() =>
      untrustedImage(image, { failOn: 'warning' })
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize(size, size, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer(),
    );
    const worker = await this.start();
    const id = this.nextId++;
    const scores = await new Promise<Record<string, number>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({
        id,
        width: size,
        height: size,
        rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength),
      });
    });
    return ADULT_CLASSES.reduce((sum, name) => sum + (scores[name] ?? 0), 0);
  }

  async close(): Promise<void> {
    const worker = await this.worker?.catch(() => undefined);
    this.worker = undefined;
    await worker?.terminate();
  }
}
