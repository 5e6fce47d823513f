import type { EsrganScale } from './esrgan-model.ts';

/** What a worker thread is started with (workerData). */
export interface EsrganWorkerOptions {
  /** Core tile edge in input pixels. */
  tileSize: number;
  /** Context around each tile in input pixels. */
  padding: number;
}

/** main → worker: upscale one RGB image. A worker runs one job at a time. */
export interface UpscaleJob {
  type: 'upscale';
  id: number;
  scale: EsrganScale;
  width: number;
  height: number;
  /** RGB, 3 bytes a pixel (transferred). */
  rgb: Uint8Array;
  /** One Int32 over a SharedArrayBuffer: the main thread sets it to 1 to stop the job before its next tile. */
  stop: Int32Array;
}

/** worker → main. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'done'; id: number; rgb: Uint8Array }
  | { type: 'stopped'; id: number }
  | { type: 'failed'; id: number; message: string };
