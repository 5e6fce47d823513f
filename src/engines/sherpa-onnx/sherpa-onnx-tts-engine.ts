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
import type { Reference } from './sherpa-onnx-tts-messages.ts';
import { SherpaOnnxTtsProcess, type TtsInfo } from './sherpa-onnx-tts-process.ts';
import { kokoroLanguageOf, offlineTtsConfigOf } from './sherpa-onnx-tts-config.ts';

export const FFMPEG = 'ffmpeg';

/** 16-bit little-endian PCM of sherpa-onnx's float samples (clipped to -1..1). */
export function pcm16Of(samples: Float32Array): Buffer {
  const pcm = Buffer.alloc(samples.length * 2);
  for (let index = 0; index < samples.length; index += 1) {
    const sample = Math.max(-1, Math.min(1, samples[index] ?? 0));
    pcm.writeInt16LE(Math.round(sample * 32767), index * 2);
  }
  return pcm;
}

/** What a request's voice is to the model: a speaker id, or (zero-shot families) a reference sample. */
export interface VoiceInput {
  sid: number;
  reference?: Reference;
}

/**
 * Text to speech with sherpa-onnx's OfflineTts in a child process (sherpa-onnx-tts-process.ts): each sentence is
 * one generate there, its samples piped into one ffmpeg per request that encodes the requested format, so audio
 * streams out sentence by sentence. Voices are the model's speakers by name (voiceOf; a subclass may say otherwise).
 */
export class SherpaOnnxTtsEngine implements SpeechEngine {
  readonly kind = 'sherpa-onnx';
  readonly modality = 'speech';
  protected closed = false;

  constructor(
    protected readonly config: SherpaOnnxEngineConfig,
    private readonly tts: SherpaOnnxTtsProcess,
    private readonly info: TtsInfo,
    protected readonly speakers: readonly string[],
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
    if (!AUDIO_FORMATS.includes(request.format))
      throw new EngineError('bad_request', `Format ${request.format} is not supported`);
    const voice = await this.voiceOf(request.voice);
    call.servedBy = this.kind;
    return {
      audio: this.stream(request, voice, call.signal),
      contentType: CONTENT_TYPES[request.format],
    };
  }

  /** The model's input for `voice`; EngineError 'bad_request' for a voice it does not have. */
  protected async voiceOf(voice: string): Promise<VoiceInput> {
    const sid = this.speakers.indexOf(voice);
    if (sid < 0) throw new EngineError('bad_request', `Voice ${voice} is not available`);
    return { sid };
  }

  /** One piece of text's samples; sherpa-onnx answers none for text it cannot turn into tokens. */
  private async speak(
    text: string,
    voice: VoiceInput,
    request: SpeechRequest,
    signal: AbortSignal,
  ): Promise<Buffer> {
    const language =
      this.config.family === 'kokoro' ? kokoroLanguageOf(request.language) : undefined;
    const samples = await this.tts.generate(
      {
        text,
        sid: voice.sid,
        speed: request.speed,
        ...(language === undefined ? {} : { language }),
        ...(voice.reference === undefined ? {} : { reference: voice.reference }),
      },
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
    voice: VoiceInput,
    callSignal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const release = await this.slots.acquire(callSignal);
    try {
      yield* speakSentences(
        {
          ffmpeg: FFMPEG,
          text: request.input,
          format: request.format,
          // Pocket TTS ignores `speed` (offline-tts-pocket-impl.h): ffmpeg's tempo applies it.
          tempo: this.config.family === 'pocket' ? request.speed : 1,
          engine: 'sherpa-onnx',
          stderrDetail: (stderr) => stderr.trim(),
          speak: async (sentence, signal) => ({
            sampleRate: this.info.sampleRate,
            channels: 1,
            samples: await this.speak(sentence, voice, request, signal),
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

/** A loaded model: its process, what it reported, its metadata (Kokoro, VITS) and its turns. */
export interface LoadedTts {
  tts: SherpaOnnxTtsProcess;
  info: TtsInfo;
  metadata: ReadonlyMap<string, string>;
  slots: BoundedSlots;
}

/**
 * Loads the model in its child process. Kokoro's files are checked first for what would make sherpa-onnx end the
 * process. Throws an Error naming the file or the reason when the model cannot load.
 */
export async function loadTts(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
): Promise<LoadedTts> {
  const files = resolveFiles(config, modelsDirectory);
  const metadata =
    files.model === undefined ? new Map<string, string>() : await readOnnxMetadata(files.model);
  if (config.family === 'kokoro') await checkKokoro(files, metadata, config.language);
  const tts = new SherpaOnnxTtsProcess(offlineTtsConfigOf(config, files), config.timeoutMs);
  const info = await tts.start();
  const slots = new BoundedSlots(config.maxConcurrency, config.maxQueue, config.queueTimeoutMs);
  return { tts, info, metadata, slots };
}

/** The engine of a model whose voices are its speakers (kokoro, vits, matcha); see loadTts for the failures. */
export async function createSherpaOnnxTtsEngine(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
): Promise<SpeechEngine> {
  const { tts, info, metadata, slots } = await loadTts(config, modelsDirectory);
  try {
    const speakers = speakersOf(config, metadata, Math.max(1, info.numSpeakers));
    return new SherpaOnnxTtsEngine(config, tts, info, speakers, slots);
  } catch (error) {
    await tts.close();
    throw error;
  }
}
