import type { SherpaOnnxEngineConfig } from '../../config/engine-config.ts';
import type { FileRole } from './sherpa-onnx-files.ts';
import type { OfflineTtsConfig } from './sherpa-onnx-module.ts';

type Files = Partial<Record<FileRole, string>>;

/** sherpa-onnx-node's config section of each tts family, named as its types.js names them. */
function familySection(family: SherpaOnnxEngineConfig['family'], files: Files, language?: string) {
  const text = { tokens: files.tokens, lexicon: files.lexicon ?? '', dataDir: files.dataDir ?? '' };
  switch (family) {
    case 'kokoro':
      return {
        kokoro: { model: files.model, voices: files.voices, ...text, lang: language ?? '' },
      };
    case 'vits':
      return { vits: { model: files.model, ...text } };
    case 'matcha':
      return { matcha: { acousticModel: files.acousticModel, vocoder: files.vocoder, ...text } };
    case 'zipvoice':
      return {
        zipvoice: {
          encoder: files.encoder,
          decoder: files.decoder,
          vocoder: files.vocoder,
          ...text,
        },
      };
    case 'pocket':
      return {
        pocket: {
          lmFlow: files.lmFlow,
          lmMain: files.lmMain,
          encoder: files.encoder,
          decoder: files.decoder,
          textConditioner: files.textConditioner,
          vocabJson: files.vocabJson,
          tokenScoresJson: files.tokenScoresJson,
        },
      };
    default:
      throw new Error(`sherpa-onnx: ${family} is not a text-to-speech family`);
  }
}

/** OfflineTts's config for the model's resolved files (sherpa-onnx-files.ts). */
export function offlineTtsConfigOf(config: SherpaOnnxEngineConfig, files: Files): OfflineTtsConfig {
  return {
    model: {
      ...familySection(config.family, files, config.language),
      numThreads: config.threads,
      debug: 0,
      provider: 'cpu',
    },
    // Rialto hands sherpa-onnx one sentence (or a few short ones) at a time already.
    maxNumSentences: 1,
  };
}

/**
 * Kokoro's `lang` (an espeak-ng voice) for a request's language hint (swagger: CreateSpeechRequestSchema.language,
 * "Unsupported values are silently ignored"): Kokoro v1.0's languages by ISO 639-1 code or English name.
 */
const KOKORO_LANGUAGES: Readonly<Record<string, string>> = {
  en: 'en-us',
  english: 'en-us',
  'en-us': 'en-us',
  'en-gb': 'en-gb',
  es: 'es',
  spanish: 'es',
  fr: 'fr-fr',
  french: 'fr-fr',
  hi: 'hi',
  hindi: 'hi',
  it: 'it',
  italian: 'it',
  ja: 'ja',
  japanese: 'ja',
  pt: 'pt-br',
  portuguese: 'pt-br',
  zh: 'cmn',
  chinese: 'cmn',
};

export function kokoroLanguageOf(hint: string | undefined): string | undefined {
  return hint === undefined ? undefined : KOKORO_LANGUAGES[hint.toLowerCase()];
}
