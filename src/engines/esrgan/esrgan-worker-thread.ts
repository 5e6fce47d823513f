// The worker thread of the esrgan engine: TensorFlow.js runs synchronously, so it runs here and not on
// the server's event loop. Loads both networks, then upscales the jobs the main thread sends, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import {
  ESRGAN_SCALES,
  loadEsrganModel,
  tileUpscalerOf,
  type EsrganScale,
} from './esrgan-model.ts';
import type { EsrganWorkerOptions, UpscaleJob, WorkerReply } from './esrgan-messages.ts';
import { upscaleTiled, type TileUpscaler } from './tiled-upscale.ts';
import { wasmTensorflow } from '../media/wasm-tensorflow.ts';

class Stopped extends Error {}

const port = parentPort!;
const options = workerData as EsrganWorkerOptions;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

async function run(upscalers: Map<EsrganScale, TileUpscaler>, job: UpscaleJob): Promise<void> {
  try {
    const upscaler = upscalers.get(job.scale);
    if (upscaler === undefined) throw new Error(`no x${job.scale} model`);
    const beforeTile = (): void => {
      if (Atomics.load(job.stop, 0) === 1) throw new Stopped();
    };
    const rgb = await upscaleTiled(
      { data: job.rgb, width: job.width, height: job.height },
      { scale: job.scale, tileSize: options.tileSize, padding: options.padding, beforeTile },
      upscaler,
    );
    const result = new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength);
    reply({ type: 'done', id: job.id, rgb: result }, [result.buffer as ArrayBuffer]);
  } catch (error) {
    if (error instanceof Stopped) reply({ type: 'stopped', id: job.id });
    else
      reply({
        type: 'failed',
        id: job.id,
        message: error instanceof Error ? error.message : String(error),
      });
  }
}

try {
  const tf = await wasmTensorflow();
  const upscalers = new Map<EsrganScale, TileUpscaler>();
  for (const scale of ESRGAN_SCALES)
    upscalers.set(scale, tileUpscalerOf(tf, await loadEsrganModel(tf, scale)));
  port.on('message', (job: UpscaleJob) => void run(upscalers, job));
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
}
