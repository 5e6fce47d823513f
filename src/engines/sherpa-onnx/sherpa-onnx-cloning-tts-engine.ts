import type { SherpaOnnxEngineConfig } from '../../config/engine-config.ts';
import type { EngineCall, SpeechEngine } from '../engine.ts';
import type { VoiceCloningEngine, VoiceCloningSpec } from '../voice-cloning.ts';
import { modelFolderOf } from './sherpa-onnx-files.ts';
import {
  REFERENCE_SAMPLE_RATE,
  ReferenceVoices,
  ownReferences,
} from './sherpa-onnx-reference-voices.ts';
import {
  FFMPEG,
  type LoadedTts,
  loadTts,
  SherpaOnnxTtsEngine,
  type VoiceInput,
} from './sherpa-onnx-tts-engine.ts';

/** How long decoding the model's own reference samples may take at start. */
const OWN_REFERENCES_TIMEOUT_MS = 120_000;

/**
 * A zero-shot model (sherpa-onnx's Pocket TTS): every voice is a reference sample handed to sherpa-onnx with each
 * sentence (generationConfig.referenceAudio; no transcript needed). Its voices are the samples the model folder
 * ships (test_wavs/*.wav) and those POST /audio/voices keeps (sherpa-onnx-reference-voices.ts). Turns, timeouts
 * and streaming are the other sherpa-onnx models'.
 */
export class SherpaOnnxCloningTtsEngine extends SherpaOnnxTtsEngine implements VoiceCloningEngine {
  readonly voiceCloning: VoiceCloningSpec;

  constructor(
    config: SherpaOnnxEngineConfig,
    loaded: LoadedTts,
    voices: readonly string[],
    private readonly references: ReferenceVoices,
  ) {
    super(config, loaded.tts, loaded.info, voices, loaded.slots);
    // Venice's advice for a sample is 5 s of speech (voice-cloning.mdx); Pocket reads the first 10.
    this.voiceCloning = {
      mode: 'zero_shot',
      minSampleSeconds: 5,
      retentionDays: config.voiceRetentionDays,
    };
  }

  protected override async voiceOf(voice: string): Promise<VoiceInput> {
    const samples = await this.references.samplesOf(voice);
    return { sid: 0, reference: { samples, sampleRate: REFERENCE_SAMPLE_RATE } };
  }

  async addVoice(name: string, sample: Buffer, extension: string, call: EngineCall): Promise<void> {
    call.servedBy = this.kind;
    await this.references.add(name, sample, extension, call.signal);
  }

  async deleteVoice(name: string): Promise<void> {
    await this.references.delete(name);
  }
}

/**
 * The voices the model offers: config.voices (each must be one of its samples), else all of its samples by name;
 * none when the folder ships no samples (a request must then name a cloned voice).
 */
function offeredVoices(config: SherpaOnnxEngineConfig, own: readonly string[]): readonly string[] {
  if (config.voices === undefined) return own;
  const unknown = config.voices.filter((voice) => !own.includes(voice));
  if (unknown.length > 0)
    throw new Error(
      `sherpa-onnx ${config.family}: voices ${unknown.join(', ')} have no sample in test_wavs/ (it has ${own.join(', ') || 'none'})`,
    );
  return config.voices;
}

/**
 * Loads a zero-shot model and decodes its own samples; cloned samples are kept in `voicesDirectory`. Throws an
 * Error naming the file or the reason when the model cannot load.
 */
export async function createSherpaOnnxCloningTtsEngine(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
  voicesDirectory: string,
): Promise<SpeechEngine & VoiceCloningEngine> {
  const own = await ownReferences(
    FFMPEG,
    modelFolderOf(config, modelsDirectory),
    AbortSignal.timeout(OWN_REFERENCES_TIMEOUT_MS),
  );
  const voices = offeredVoices(config, [...own.keys()]);
  const loaded = await loadTts(config, modelsDirectory);
  const references = new ReferenceVoices(FFMPEG, voicesDirectory, own);
  return new SherpaOnnxCloningTtsEngine(config, loaded, voices, references);
}
