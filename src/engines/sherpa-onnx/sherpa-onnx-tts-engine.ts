import type { SherpaOnnxEngineConfig } from '../../config/engine-config.ts';
import type {
  AudioFormat,
  EngineCall,
  EngineLoad,
  SpeechEngine,
  SpeechRequest,
  SpeechResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { AUDIO_FORMATS, CONTENT_TYPES } from '../media/audio-encoding.ts';
import { speakSentences } from '../media/sentence-audio.ts';
import { BoundedSlots } from './bounded-slots.ts';
import { checkKokoro } from './kokoro-checks.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';
import { resolveFiles } from './sherpa-onnx-files.ts';
import { SherpaOnnxTtsProcess, type TtsInfo } from './sherpa-onnx-tts-process.ts';
import { kokoroLanguageOf, offlineTtsConfigOf } from './sherpa-onnx-tts-config.ts';

const FFMPEG = 'ffmpeg';

/** 16-bit little-endian PCM of sherpa-onnx's float samples (clipped to -1..1). */
export function pcm16Of(samples: Float32Array): Buffer {
  const pcm = Buffer.alloc(samples.length * 2);
  for (let index = 0; index < samples.length; index += 1) {
    const sample = Math.max(-1, Math.min(1, samples[index] ?? 0));
    pcm.writeInt16LE(Math.round(sample * 32767), index * 2);
  }
  return pcm;
}

/**
 * Text to speech with sherpa-onnx's OfflineTts in a child process (sherpa-onnx-tts-process.ts): each sentence is
 * one generate there, its samples piped into one ffmpeg per request that encodes the requested format, so audio
 * streams out sentence by sentence. Voices are the model's speakers by name.
 */
class SherpaOnnxTtsEngine implements SpeechEngine {
  readonly kind = 'sherpa-onnx';
  readonly modality = 'speech';
  private closed = false;

  constructor(
    private readonly config: SherpaOnnxEngineConfig,
    private readonly tts: SherpaOnnxTtsProcess,
    private readonly info: TtsInfo,
    private readonly speakers: readonly string[],
    private readonly slots: BoundedSlots,
  ) {}

  load(): EngineLoad {
    return this.slots.load;
  }

  voices(): readonly string[] {
    return this.speakers;
  }

  formats(): readonly AudioFormat[] {
    return AUDIO_FORMATS;
  }

  async checkHealth(): Promise<{ healthy: boolean; detail: string }> {
    if (this.closed) return { healthy: false, detail: 'closed' };
    return {
      healthy: true,
      detail: `${this.config.family}: ${this.speakers.length} voices at ${this.info.sampleRate} Hz`,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tts.close();
  }

  async synthesize(request: SpeechRequest, call: EngineCall): Promise<SpeechResult> {
    if (this.closed) throw new EngineError('offline', 'the sherpa-onnx engine is closed');
    const sid = this.speakers.indexOf(request.voice);
    if (sid < 0) throw new EngineError('bad_request', `Voice ${request.voice} is not available`);
    if (!AUDIO_FORMATS.includes(request.format))
      throw new EngineError('bad_request', `Format ${request.format} is not supported`);
    call.servedBy = this.kind;
    return {
      audio: this.stream(request, sid, call.signal),
      contentType: CONTENT_TYPES[request.format],
    };
  }

  /** One piece of text's samples; sherpa-onnx answers none for text it cannot turn into tokens. */
  private async speak(
    text: string,
    sid: number,
    request: SpeechRequest,
    signal: AbortSignal,
  ): Promise<Buffer> {
    const language =
      this.config.family === 'kokoro' ? kokoroLanguageOf(request.language) : undefined;
    const samples = await this.tts.generate(
      { text, sid, speed: request.speed, ...(language === undefined ? {} : { language }) },
      signal,
    );
    return pcm16Of(samples);
  }

  /**
   * The encoded audio. Nothing runs until the first read; the turn is held until the last chunk, an error, or the
   * reader stopping early (a sentence already computing finishes, its samples are dropped).
   */
  private async *stream(
    request: SpeechRequest,
    sid: number,
    callSignal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const release = await this.slots.acquire(callSignal);
    try {
      yield* speakSentences(
        {
          ffmpeg: FFMPEG,
          text: request.input,
          format: request.format,
          tempo: 1,
          engine: 'sherpa-onnx',
          stderrDetail: (stderr) => stderr.trim(),
          speak: async (sentence, signal) => ({
            sampleRate: this.info.sampleRate,
            channels: 1,
            samples: await this.speak(sentence, sid, request, signal),
          }),
        },
        callSignal,
      );
    } finally {
      release();
    }
  }
}

/**
 * The voice names in speaker-id order: config.voices, else the model's `speaker_names` metadata (Kokoro's export
 * writes it, scripts/kokoro/v1.0/add_meta_data.py), else the speaker ids ("0", "1", …).
 */
function speakersOf(
  config: SherpaOnnxEngineConfig,
  metadata: ReadonlyMap<string, string>,
  count: number,
): readonly string[] {
  if (config.voices !== undefined) {
    if (config.voices.length > count)
      throw new Error(
        `sherpa-onnx: ${config.voices.length} voices configured, the model has ${count} speakers`,
      );
    return config.voices;
  }
  const listed =
    metadata
      .get('speaker_names')
      ?.split(',')
      .map((name) => name.trim()) ?? [];
  if (listed.length === count && listed.every((name) => name !== '')) return listed;
  return Array.from({ length: count }, (_, index) => String(index));
}

/**
 * Loads the model in its child process. Kokoro's files are checked first for what would make sherpa-onnx end the
 * process. Throws an Error naming the file or the reason when the model cannot load.
 */
export async function createSherpaOnnxTtsEngine(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
): Promise<SpeechEngine> {
  const files = resolveFiles(config, modelsDirectory);
  const metadata =
    files.model === undefined ? new Map<string, string>() : await readOnnxMetadata(files.model);
  if (config.family === 'kokoro') await checkKokoro(files, metadata, config.language);
  const tts = new SherpaOnnxTtsProcess(offlineTtsConfigOf(config, files), config.timeoutMs);
  const info = await tts.start();
  try {
    const speakers = speakersOf(config, metadata, Math.max(1, info.numSpeakers));
    const slots = new BoundedSlots(config.maxConcurrency, config.maxQueue, config.queueTimeoutMs);
    return new SherpaOnnxTtsEngine(config, tts, info, speakers, slots);
  } catch (error) {
    await tts.close();
    throw error;
  }
}
