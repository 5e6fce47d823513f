// The worker thread of the nsfwjs classifier: TensorFlow.js runs synchronously, so it runs here and not on the
// server's event loop. Loads the model that ships inside the nsfwjs package, then classifies the images the
// main thread sends, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { load } from 'nsfwjs';
import { wasmTensorflow } from '../media/wasm-tensorflow.ts';
import type { ClassifierReply, ClassifyRequest, NsfwjsModelName } from './nsfwjs-messages.ts';

const port = parentPort!;
const reply = (message: ClassifierReply): void => port.postMessage(message);

try {
  const tf = await wasmTensorflow();
  const model = await load(workerData as NsfwjsModelName);
  reply({ type: 'ready' });
  port.on('message', (request: ClassifyRequest) => {
    void (async () => {
      const pixels = tf.tensor3d(
        Int32Array.from(request.rgb),
        [request.height, request.width, 3],
        'int32',
      );
      try {
        const predictions = await model.classify(pixels, 5);
        reply({
          type: 'scores',
          id: request.id,
          scores: Object.fromEntries(
            predictions.map((prediction) => [prediction.className, prediction.probability]),
          ),
        });
      } catch (error) {
        reply({
          type: 'failed',
          id: request.id,
          message: error instanceof Error ? error.message : String(error),
        });
      } finally {
        pixels.dispose();
      }
    })();
  });
} catch (error) {
  reply({ type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
}
