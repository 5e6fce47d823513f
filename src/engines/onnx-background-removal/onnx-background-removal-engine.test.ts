// The onnx-background-removal engine on a real ONNX model (test/fixtures/tiny-onnx.ts: U²-Netp's interface,
// a fixed colourfulness score), run by onnxruntime-node.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigSchema, type OnnxBackgroundRemovalEngineConfig } from '../../config.ts';
import type { BackgroundRemovalEngine, RawImage } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { tinyOnnxPath } from '../../../test/fixtures/tiny-onnx.ts';
import { createOnnxBackgroundRemovalEngine } from './onnx-background-removal-engine.ts';

/** A saturated red disc (radius 24) on mid grey, `channels` bytes a pixel. */
function redDisc(width: number, height: number, channels: 3 | 4 = 3): RawImage {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const inside = Math.hypot(x - width / 2, y - height / 2) <= 24;
      data.set(
        inside ? [220, 24, 28, 255].slice(0, channels) : [128, 128, 128, 255].slice(0, channels),
        (y * width + x) * channels,
      );
    }
  }
  return { data, width, height, channels };
}

/** Mean mask value inside radius `inner` and outside radius `outer` of the image's centre. */
function meansOf(
  mask: Buffer,
  width: number,
  height: number,
  inner: number,
  outer: number,
): { disc: number; background: number } {
  let disc = 0;
  let discCount = 0;
  let background = 0;
  let backgroundCount = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const distance = Math.hypot(x - width / 2, y - height / 2);
      const value = mask[y * width + x]!;
      if (distance <= inner) [disc, discCount] = [disc + value, discCount + 1];
      else if (distance >= outer)
        [background, backgroundCount] = [background + value, backgroundCount + 1];
    }
  }
  return { disc: disc / discCount, background: background / backgroundCount };
}

function engineConfig(
  path: string,
  extra: Record<string, unknown> = {},
): OnnxBackgroundRemovalEngineConfig {
  const model = modelConfigSchema.parse({
    id: 'bg',
    type: 'image',
    engine: { kind: 'onnx-background-removal', path, ...extra },
  });
  if (model.engine.kind !== 'onnx-background-removal') throw new Error('unexpected engine kind');
  return model.engine;
}

describe('onnx-background-removal engine (tiny ONNX model)', () => {
  let path: string;
  let engine: BackgroundRemovalEngine;

  before(async () => {
    path = await tinyOnnxPath({ size: 64 });
    engine = await createOnnxBackgroundRemovalEngine(engineConfig(path), path);
  });
  after(() => engine?.close());

  it('reads the input size from the model and reports itself healthy', async () => {
    const health = await engine.checkHealth(AbortSignal.timeout(5000));
    assert.equal(health.healthy, true);
    assert.match(health.detail, /input 64x64/);
  });

  for (const [width, height, channels] of [
    [96, 80, 3],
    [64, 64, 4],
    [150, 120, 3],
  ] as const) {
    it(`a ${width}x${height} image with ${channels} channels: the mask is high on the red disc, low on the grey background`, async () => {
      const call = { signal: new AbortController().signal } as {
        signal: AbortSignal;
        servedBy?: string;
      };
      const result = await engine.foregroundMask(redDisc(width, height, channels), call);
      assert.equal(result.width, width);
      assert.equal(result.height, height);
      assert.equal(result.mask.length, width * height);
      assert.equal(call.servedBy, 'onnx-background-removal');
      const { disc, background } = meansOf(result.mask, width, height, 16, 32);
      assert.ok(disc > 220, `disc mean ${disc}`);
      assert.ok(background < 25, `background mean ${background}`);
    });
  }

  it("a flat grey image has no range to normalize: its mask stays the model's low score", async () => {
    const grey: RawImage = {
      data: Buffer.alloc(40 * 30 * 3, 128),
      width: 40,
      height: 30,
      channels: 3,
    };
    const { mask } = await engine.foregroundMask(grey, { signal: new AbortController().signal });
    // Sigmoid(-2) ≈ 0.12 → about 30 of 255, everywhere.
    assert.ok(
      mask.every((value) => value > 20 && value < 40),
      `mask values ${Math.min(...mask)}..${Math.max(...mask)}`,
    );
  });

  it("a configured inputSize that the model's fixed input contradicts fails creation", async () => {
    await assert.rejects(
      createOnnxBackgroundRemovalEngine(engineConfig(path, { inputSize: 32 }), path),
      /inputSize 32 does not fit the model's input \[1,3,64,64\]/,
    );
    const agreeing = await createOnnxBackgroundRemovalEngine(
      engineConfig(path, { inputSize: 64 }),
      path,
    );
    await agreeing.close();
  });

  it('an aborted call is refused before it runs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client gone'));
    await assert.rejects(
      engine.foregroundMask(redDisc(64, 64), { signal: controller.signal }),
      /client gone/,
    );
  });

  it('concurrent calls all finish (one slot, the rest wait their turn)', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        engine.foregroundMask(redDisc(64, 64), { signal: new AbortController().signal }),
      ),
    );
    for (const result of results)
      assert.ok(result.mask.equals(results[0]!.mask), 'the same image gives the same mask');
  });

  it('a missing or broken model file fails creation with a clear message', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'rialto-onnx-test-'));
    try {
      const missing = join(folder, 'absent.onnx');
      await assert.rejects(
        createOnnxBackgroundRemovalEngine(engineConfig(missing), missing),
        /absent\.onnx does not exist/,
      );
      const broken = join(folder, 'broken.onnx');
      await writeFile(broken, 'not an onnx model');
      await assert.rejects(
        createOnnxBackgroundRemovalEngine(engineConfig(broken), broken),
        /cannot load the ONNX model .*broken\.onnx/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('after close, calls fail as offline and health says closed', async () => {
    const closing = await createOnnxBackgroundRemovalEngine(engineConfig(path), path);
    await closing.close();
    await assert.rejects(
      closing.foregroundMask(redDisc(64, 64), { signal: new AbortController().signal }),
      (error: unknown) => error instanceof EngineError && error.failure === 'offline',
    );
    assert.equal((await closing.checkHealth(AbortSignal.timeout(1000))).healthy, false);
  });
});
