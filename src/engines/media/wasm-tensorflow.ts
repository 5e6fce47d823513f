import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type Tensorflow = typeof tf;

let ready: Promise<Tensorflow> | undefined;

/**
 * TensorFlow.js on its WebAssembly backend (XNNPACK kernels, SIMD where the CPU has it; single-threaded
 * in Node), once per thread. The .wasm files are loaded from the installed package's dist folder, found
 * through Node's resolution, so nothing depends on the working directory or a bundler's layout.
 * Rejects when the backend cannot start (a broken install).
 */
export function wasmTensorflow(): Promise<Tensorflow> {
  ready ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(join(dirname(entry), '/'));
    if (!(await tf.setBackend('wasm')))
      throw new Error(
        `TensorFlow.js could not start its wasm backend (the .wasm files are looked up in ${dirname(entry)})`,
      );
    // No per-op NaN checks and debug bookkeeping.
    tf.enableProdMode();
    return tf;
  })();
  return ready;
}
