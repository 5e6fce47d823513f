// The entry point of a sherpa-onnx TTS process: it loads one OfflineTts and answers the server's generate requests
// over IPC (sherpa-onnx-tts-messages.ts). sherpa-onnx ends its process on some bad inputs and can hang on an
// onnxruntime failure; here that costs this process, not the server. It exits when the server goes away.
import type { ParentMessage, WorkerMessage } from './sherpa-onnx-tts-messages.ts';
import { type OfflineTts, sherpaOnnx } from './sherpa-onnx-module.ts';

function post(message: WorkerMessage): void {
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

let tts: OfflineTts | undefined;

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
  const { id, text, sid, speed, language } = message;
  try {
    if (tts === undefined) throw new Error('no model loaded');
    const audio = await tts.generateAsync({
      text,
      sid,
      speed,
      enableExternalBuffer: false,
      ...(language === undefined
        ? {}
        : { generationConfig: { sid, speed, extra: { lang: language } } }),
    });
    post({ type: 'audio', id, samples: audio.samples });
  } catch (error) {
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
}

process.on('message', (message: ParentMessage) => void handle(message));
process.on('disconnect', () => process.exit(0));
