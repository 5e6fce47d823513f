import { existsSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { OnnxBackgroundRemovalEngineConfig } from '../../config.ts';
import type { BackgroundRemovalEngine, EngineCall, RawImage } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { Semaphore } from '../semaphore.ts';
import { imageToTensor, tensorToMask } from './image-tensor.ts';

const KIND = 'onnx-background-removal';

/** S of an input [1,3,S,S]: the configured size, else the model's own (its shape must say it). */
function inputSizeOf(
  session: InferenceSession,
  path: string,
  configured: number | undefined,
): number {
  const input = session.inputMetadata[0];
  if (input === undefined || !input.isTensor || input.type !== 'float32')
    throw new Error(`${path}: the model's first input is not a float32 tensor`);
  const { shape } = input;
  if (shape.length !== 4 || (typeof shape[1] === 'number' && shape[1] !== 3))
    throw new Error(`${path}: the model's input is [${shape.join(',')}], not [1,3,S,S]`);
  const [height, width] = [shape[2], shape[3]];
  if (configured !== undefined) {
    const fixed = [height, width].filter(
      (dimension) => typeof dimension === 'number' && dimension > 0,
    );
    if (fixed.some((dimension) => dimension !== configured))
      throw new Error(
        `${path}: inputSize ${configured} does not fit the model's input [${shape.join(',')}]`,
      );
    return configured;
  }
  if (typeof height === 'number' && height > 0 && height === width) return height;
  throw new Error(
    `${path}: the model's input [${shape.join(',')}] has no fixed square size; set inputSize in the engine's config`,
  );
}

/** The model's first input, and its first output (U²-Net's d0; the others are side outputs). */
function namesOf(session: InferenceSession, path: string): { input: string; output: string } {
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  if (input === undefined || output === undefined)
    throw new Error(`${path}: the model has no input or no output`);
  return { input, output };
}

/** The first output of a run as one mask plane: [1,1,H,W] (or [1,H,W] / [H,W]). */
function maskPlaneOf(output: Tensor | undefined): {
  data: Float32Array;
  width: number;
  height: number;
} {
  if (output === undefined || output.type !== 'float32')
    throw new EngineError('failed', 'the model gave no float32 output');
  const dims = output.dims;
  const width = dims[dims.length - 1] ?? 0;
  const height = dims[dims.length - 2] ?? 0;
  if (dims.length < 2 || width * height !== output.size)
    throw new EngineError('failed', `the model's output [${dims.join(',')}] is not one mask plane`);
  return { data: output.data as Float32Array, width, height };
}

/**
 * Background removal with a salient-object model (U²-Net, U²-Netp, IS-Net, …) on onnxruntime-node (CPU):
 * the image is resized to the model's S × S input, normalized, run, and the first output (U²-Net's d0,
 * sigmoid already applied) becomes the foreground mask at the image's size. The model loads here, so a
 * bad file fails the server's start. At most `concurrency` runs at once, each on `threads` threads; a call
 * aborted while waiting never runs, one aborted while running is dropped when the run ends (an ONNX run
 * cannot be stopped midway). Failures of the runtime are EngineError 'failed'.
 */
export async function createOnnxBackgroundRemovalEngine(
  config: OnnxBackgroundRemovalEngineConfig,
  path: string,
): Promise<BackgroundRemovalEngine> {
  if (!existsSync(path))
    throw new Error(
      `${KIND}: the model file ${path} does not exist (a relative path is read from <dataDirectory>/models)`,
    );
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      intraOpNumThreads: config.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new Error(`${KIND}: cannot load the ONNX model ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let size: number;
  let names: { input: string; output: string };
  try {
    size = inputSizeOf(session, path, config.inputSize);
    names = namesOf(session, path);
  } catch (error) {
    await session.release();
    throw error;
  }
  const slots = new Semaphore(config.concurrency);
  const running = new Set<Promise<unknown>>();
  let closed = false;

  async function foregroundMask(
    image: RawImage,
    call: EngineCall,
  ): Promise<{ mask: Buffer; width: number; height: number }> {
    if (closed) throw new EngineError('offline', `${KIND} engine is closed`);
    const release = await slots.acquire(call.signal);
    try {
      call.servedBy = KIND;
      const input = new Tensor(
        'float32',
        await imageToTensor(image, size, config.mean, config.std),
        [1, 3, size, size],
      );
      call.signal.throwIfAborted();
      if (closed) throw new EngineError('offline', `${KIND} engine is closed`);
      const run = session.run({ [names.input]: input }, [names.output]);
      running.add(run);
      let outputs: InferenceSession.ReturnType;
      try {
        outputs = await run;
      } catch (error) {
        throw new EngineError(
          'failed',
          `${KIND}: the model run failed: ${(error as Error).message}`,
          { cause: error },
        );
      } finally {
        running.delete(run);
      }
      call.signal.throwIfAborted();
      const plane = maskPlaneOf(outputs[names.output]);
      const mask = await tensorToMask(
        plane.data,
        plane.width,
        plane.height,
        image.width,
        image.height,
      );
      return { mask, width: image.width, height: image.height };
    } finally {
      release();
    }
  }

  return {
    kind: KIND,
    modality: 'background-removal',
    foregroundMask,
    checkHealth: async () =>
      closed
        ? { healthy: false, detail: 'closed' }
        : { healthy: true, detail: `${path} loaded (input ${size}x${size})` },
    close: async () => {
      if (closed) return;
      closed = true;
      // Runs in progress finish before the session's memory is freed under them.
      await Promise.allSettled([...running]);
      await session.release();
    },
  };
}
