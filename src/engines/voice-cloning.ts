import type { EngineCall } from './engine.ts';

/** swagger: TTS Voice Cloning, as GET /models shows it in model_spec.voice_cloning. */
export interface VoiceCloningSpec {
  /** zero_shot: the model reads the sample again on each synthesis; no voice template is trained. */
  readonly mode: 'zero_shot';
  /** The shortest sample the model is advertised for, in seconds. */
  readonly minSampleSeconds: number;
  /** Days a voice (and its sample) is kept before it expires. */
  readonly retentionDays: number;
}

/**
 * An engine that keeps voices made from samples: what POST /audio/voices needs of an engine. Implemented by the
 * chatterbox kind (the sample goes to the upstream's voice library) and by sherpa-onnx's zero-shot families (the
 * decoded sample is kept under Rialto's data folder).
 */
export interface VoiceCloningEngine {
  /** What the engine's cloning offers (model_spec.voice_cloning, the voice's expiry). */
  readonly voiceCloning: VoiceCloningSpec;
  /**
   * Stores `sample` (in the container `extension` names: mp3, wav, flac, m4a) under `name`; the name is then a voice
   * of synthesize(). Rejects with EngineError 'bad_request' for a sample the engine cannot use; may run concurrently
   * with synthesis and other adds.
   */
  addVoice(name: string, sample: Buffer, extension: string, call: EngineCall): Promise<void>;
  /** Deletes the voice and its sample; a voice already gone is not an error. */
  deleteVoice(name: string, signal: AbortSignal): Promise<void>;
}

export function canCloneVoices(engine: object): engine is VoiceCloningEngine {
  return 'addVoice' in engine && 'deleteVoice' in engine && 'voiceCloning' in engine;
}
