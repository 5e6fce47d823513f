import type { EsrganEngineConfig } from '../../config.ts';
import type { EngineCall, EngineLoad, RawImage, UpscaleEngine, UpscaleRequest } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { Semaphore } from '../semaphore.ts';
import { joinAlpha, resizeAlpha, splitAlpha } from './alpha-channel.ts';
import { ESRGAN_TILE_PADDING } from './esrgan-model.ts';
import { EsrganWorker } from './esrgan-worker.ts';

/**
 * Super-resolution with the ESRGAN (RDN) networks of @upscalerjs/esrgan-slim, x2 and x4, on TensorFlow.js's
 * wasm backend. Each of `concurrency` worker threads holds both networks and upscales one image at a time,
 * tile by tile, off the server's event loop; more requests wait their turn. An alpha channel is scaled
 * separately (Lanczos). The networks are deterministic: `creativity` has nothing to act on and is ignored.
 */
class EsrganEngine implements UpscaleEngine {
  readonly kind = 'esrgan';
  readonly modality = 'upscale';
  private readonly slots: Semaphore;
  private readonly idle: EsrganWorker[];
  private closed = false;

  constructor(private readonly workers: readonly EsrganWorker[]) {
    this.slots = new Semaphore(workers.length);
    this.idle = [...workers];
  }

  load(): EngineLoad {
    return this.slots.load;
  }

  async checkHealth(): Promise<{ healthy: boolean; detail: string }> {
    if (this.closed) return { healthy: false, detail: 'closed' };
    try {
      // A thread that died is started again here (as the next upscale would).
      await Promise.all(this.workers.map((worker) => worker.start()));
      return {
        healthy: true,
        detail: `x2 and x4 models loaded in ${this.workers.length} worker thread(s)`,
      };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async upscale(request: UpscaleRequest, call: EngineCall): Promise<RawImage> {
    if (this.closed) throw new EngineError('offline', 'esrgan engine is closed');
    const release = await this.slots.acquire(call.signal);
    const worker = this.idle.pop()!;
    try {
      call.servedBy = this.kind;
      const { image, scale } = request;
      const { rgb, alpha } = splitAlpha(image);
      const size = { width: image.width * scale, height: image.height * scale };
      const [upscaled, scaledAlpha] = await Promise.all([
        worker.upscale(rgb, scale, call.signal),
        alpha === undefined ? undefined : resizeAlpha(alpha, image, size),
      ]);
      if (scaledAlpha === undefined) return { data: upscaled, ...size, channels: 3 };
      return { data: joinAlpha(upscaled, scaledAlpha), ...size, channels: 4 };
    } finally {
      this.idle.push(worker);
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

/**
 * Starts the engine's worker threads and loads the models in each before returning, so a broken install
 * (missing package, unreadable weights, no wasm) fails the server's start rather than the first request;
 * loading takes well under a second.
 */
export async function createEsrganEngine(config: EsrganEngineConfig): Promise<UpscaleEngine> {
  const workers = Array.from(
    { length: config.concurrency },
    () => new EsrganWorker({ tileSize: config.tileSize, padding: ESRGAN_TILE_PADDING }),
  );
  try {
    await Promise.all(workers.map((worker) => worker.start()));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.close()));
    throw error;
  }
  return new EsrganEngine(workers);
}
