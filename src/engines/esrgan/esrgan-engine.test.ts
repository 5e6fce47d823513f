// The esrgan engine with its worker threads: sizes, alpha, concurrency, cancellation, health and close.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RawImage, UpscaleEngine } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { createEsrganEngine } from './esrgan-engine.ts';

function image(width: number, height: number, channels: 3 | 4): RawImage {
  const data = Buffer.alloc(width * height * channels);
  for (let pixel = 0; pixel < width * height; pixel += 1) {
    const x = pixel % width;
    const y = Math.floor(pixel / width);
    data[pixel * channels] = (x * 255) / width;
    data[pixel * channels + 1] = (y * 255) / height;
    data[pixel * channels + 2] = (x + y) % 32 < 16 ? 40 : 210;
    // Left half opaque, right half transparent.
    if (channels === 4) data[pixel * channels + 3] = x < width / 2 ? 255 : 0;
  }
  return { data, width, height, channels };
}

const call = (signal: AbortSignal = new AbortController().signal) =>
  ({ signal }) as { signal: AbortSignal; servedBy?: string };

describe('esrgan engine', () => {
  let engine: UpscaleEngine;
  before(async () => {
    engine = await createEsrganEngine({ kind: 'esrgan', tileSize: 32, concurrency: 2 });
  });
  after(async () => {
    await engine?.close();
  });

  it('is healthy once its models are loaded', async () => {
    assert.deepEqual(await engine.checkHealth(AbortSignal.timeout(10_000)), {
      healthy: true,
      detail: 'x2 and x4 models loaded in 2 worker thread(s)',
    });
  });

  for (const scale of [2, 4] as const) {
    it(`x${scale}: RGB in, RGB ${scale} times larger out, deterministic whatever the creativity`, async () => {
      const context = call();
      const first = await engine.upscale(
        { image: image(40, 30, 3), scale, creativity: 0 },
        context,
      );
      assert.equal(context.servedBy, 'esrgan');
      assert.deepEqual(
        [first.width, first.height, first.channels, first.data.length],
        [40 * scale, 30 * scale, 3, 40 * scale * 30 * scale * 3],
      );
      const second = await engine.upscale(
        { image: image(40, 30, 3), scale, creativity: 0.02 },
        call(),
      );
      assert.ok(first.data.equals(second.data));
    });
  }

  it('keeps an alpha channel: RGBA in, RGBA out with the transparent half still transparent', async () => {
    const result = await engine.upscale(
      { image: image(40, 30, 4), scale: 2, creativity: 0.01 },
      call(),
    );
    assert.deepEqual(
      [result.width, result.height, result.channels, result.data.length],
      [80, 60, 4, 80 * 60 * 4],
    );
    const alphaAt = (x: number, y: number): number => result.data[(y * 80 + x) * 4 + 3]!;
    assert.equal(alphaAt(5, 30), 255);
    assert.equal(alphaAt(75, 30), 0);
    // The colour matches the RGB-only result.
    const rgb = await engine.upscale(
      { image: image(40, 30, 3), scale: 2, creativity: 0.01 },
      call(),
    );
    assert.deepEqual([...result.data.subarray(0, 3)], [...rgb.data.subarray(0, 3)]);
  });

  it('runs `concurrency` upscales at once and queues the rest, each with its own result', async () => {
    const inputs = [image(40, 30, 3), image(30, 40, 3), image(33, 33, 3)];
    const results = await Promise.all(
      inputs.map((input) => engine.upscale({ image: input, scale: 2, creativity: 0 }, call())),
    );
    assert.deepEqual(
      results.map((result) => [result.width, result.height]),
      [
        [80, 60],
        [60, 80],
        [66, 66],
      ],
    );
    const again = await engine.upscale({ image: inputs[1]!, scale: 2, creativity: 0 }, call());
    assert.ok(results[1]!.data.equals(again.data));
  });

  it('stops between tiles when the call is aborted, and the worker takes the next job', async () => {
    const controller = new AbortController();
    const reason = new Error('client gone');
    // 256×256 at x4 in 32 px tiles is 64 tiles: far more than one tile's time before the abort.
    const running = engine.upscale(
      { image: image(256, 256, 3), scale: 4, creativity: 0 },
      call(controller.signal),
    );
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(running, (error) => error === reason);
    await assert.rejects(
      engine.upscale(
        { image: image(40, 30, 3), scale: 2, creativity: 0 },
        call(AbortSignal.abort(reason)),
      ),
      (error) => error === reason,
    );
    const next = await engine.upscale({ image: image(40, 30, 3), scale: 2, creativity: 0 }, call());
    assert.equal(next.width, 80);
  });

  it('a job the thread fails is EngineError failed; the thread is replaced and the next job runs', async () => {
    const unsupported = { image: image(40, 30, 3), scale: 3 as unknown as 2, creativity: 0 };
    await assert.rejects(
      engine.upscale(unsupported, call()),
      (error) =>
        error instanceof EngineError &&
        error.failure === 'failed' &&
        /no x3 model/.test(error.message),
    );
    const next = await engine.upscale({ image: image(40, 30, 3), scale: 2, creativity: 0 }, call());
    assert.equal(next.width, 80);
    assert.equal((await engine.checkHealth(AbortSignal.timeout(10_000))).healthy, true);
  });

  it('after close: unhealthy, and upscales fail as offline', async () => {
    const closing = await createEsrganEngine({ kind: 'esrgan', tileSize: 64, concurrency: 1 });
    await closing.close();
    assert.equal((await closing.checkHealth(AbortSignal.timeout(1000))).healthy, false);
    await assert.rejects(
      closing.upscale({ image: image(40, 30, 3), scale: 2, creativity: 0 }, call()),
      (error) => error instanceof EngineError && error.failure === 'offline',
    );
  });
});
