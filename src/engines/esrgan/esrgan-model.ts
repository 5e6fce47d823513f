import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { TileUpscaler } from './tiled-upscale.ts';
import type { Tensorflow } from '../media/wasm-tensorflow.ts';

const PACKAGE = '@upscalerjs/esrgan-slim';

/** The factors served, each by its own network. */
export const ESRGAN_SCALES = [2, 4] as const;
export type EsrganScale = (typeof ESRGAN_SCALES)[number];

/**
 * How far, in input pixels, one output pixel of these networks looks: the RDN of esrgan-slim
 * (models/x2|x4/model.json: 3×3 convolutions F_m1, F_0, F_1_1, F_2_1, GFF_2, UPN2, UPN3 and SR, one 5×5
 * UPN1) reaches 1+1+1+1+1+2+1+1+1 = 10 pixels; tiles get two more so that rounding never shows a seam.
 */
export const ESRGAN_TILE_PADDING = 12;

/** The installed package's folder (its package.json is not exported, so walk up from its entry point). */
function packageDirectory(): string {
  let directory = dirname(createRequire(import.meta.url).resolve(PACKAGE));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE
    )
      return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`${PACKAGE}: no package.json above its entry point`);
    directory = parent;
  }
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: {
    paths: string[];
    weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[];
  }[];
}

/**
 * Loads the x`scale` network of @upscalerjs/esrgan-slim from disk (Keras layers model, weights in the
 * package). Per the package's model definition (dist/esm/packages/shared/src/esrgan/esrgan.js, architecture
 * 'rdn') it takes RGB in 0..255 and gives RGB in 0..255, with no custom layers to register.
 */
export async function loadEsrganModel(tf: Tensorflow, scale: EsrganScale): Promise<LayersModel> {
  const directory = join(packageDirectory(), 'models', `x${scale}`);
  const model = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as ModelJson;
  const shards = model.weightsManifest.flatMap((group) =>
    group.paths.map((path) => readFileSync(join(directory, path))),
  );
  const weights = Buffer.concat(shards);
  const weightData = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.byteLength,
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
      weightData,
    }),
  );
}

/** The model as a TileUpscaler; every tensor of a tile is freed before it returns. */
export function tileUpscalerOf(tf: Tensorflow, model: LayersModel): TileUpscaler {
  return (pixels, width, height) =>
    tf.tidy(() => {
      const output = model.predict(tf.tensor4d(pixels, [1, height, width, 3])) as Tensor;
      return output.dataSync() as Float32Array;
    });
}
