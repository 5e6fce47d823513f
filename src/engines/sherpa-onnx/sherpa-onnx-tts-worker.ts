// The entry point of a sherpa-onnx TTS process: it loads one OfflineTts and answers the server's generate requests
// over IPC (sherpa-onnx-tts-messages.ts). sherpa-onnx ends its process on some bad inputs and can hang on an
// onnxruntime failure; here that costs this process, not the server. It exits when the server goes away.
import type { ParentMessage, Reference, WorkerMessage } from './sherpa-onnx-tts-messages.ts';
import { type OfflineTts, sherpaOnnx, type TtsGenerationConfig } from './sherpa-onnx-module.ts';

function post(message: WorkerMessage): void {
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

let tts: OfflineTts | undefined;

/**
 * Pocket TTS's flow-matching steps per frame and its noise seed, as sherpa-onnx's Pocket example sets them
 * (nodejs-addon-examples/test_tts_non_streaming_pocket_en.js): a fixed seed makes the same text in the same voice
 * the same audio, streamed or not (the default, -1, draws new noise each time).
 */
const FLOW_STEPS = 5;
const SEED = 42;

/** The generationConfig of a request: Kokoro's language, a zero-shot model's reference sample; none otherwise. */
function generationConfigOf(
  sid: number,
  speed: number,
  language: string | undefined,
  reference: Reference | undefined,
): { generationConfig?: TtsGenerationConfig } {
  if (reference !== undefined)
    return {
      generationConfig: {
        sid,
        speed,
        numSteps: FLOW_STEPS,
        referenceAudio: reference.samples,
        referenceSampleRate: reference.sampleRate,
        extra: { seed: SEED },
      },
    };
  if (language !== undefined)
    return { generationConfig: { sid, speed, extra: { lang: language } } };
  return {};
}

async function handle(message: ParentMessage): Promise<void> {
  if (message.type === 'load') {
    try {
      tts = await sherpaOnnx().OfflineTts.createAsync(message.config);
      post({ type: 'ready', sampleRate: tts.sampleRate, numSpeakers: tts.numSpeakers });
    } catch (error) {
      post({
        type: 'load-failed',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    return;
  }
  const { id, text, sid, speed, language, reference } = message;
  try {
    if (tts === undefined) throw new Error('no model loaded');
    const audio = await tts.generateAsync({
      text,
      sid,
      speed,
      enableExternalBuffer: false,
      ...generationConfigOf(sid, speed, language, reference),
    });
    post({ type: 'audio', id, samples: audio.samples });
  } catch (error) {
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
}

process.on('message', (message: ParentMessage) => void handle(message));
process.on('disconnect', () => process.exit(0));
