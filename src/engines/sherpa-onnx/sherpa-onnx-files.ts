import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SherpaOnnxEngineConfig } from '../../config/engine-config.ts';

export type FileRole = keyof SherpaOnnxEngineConfig['files'];
type Family = SherpaOnnxEngineConfig['family'];

/** A role's default: a name in the folder, or how to find it there; `optional` roles may be absent. */
interface RoleDefault {
  readonly name: string | ((entries: readonly string[]) => string | undefined);
  readonly optional?: boolean;
}

/** The one `.onnx` in the folder (Piper's VITS archives name it after the voice). */
const onlyOnnx = (entries: readonly string[]): string | undefined => {
  const onnx = entries.filter((entry) => entry.endsWith('.onnx'));
  return onnx.length === 1 ? onnx[0] : undefined;
};

/**
 * The folder's `lexicon*.txt`, comma-separated, as sherpa-onnx's Kokoro examples pass them: the first file holding a
 * word wins, so American English (lexicon-us-en.txt) comes first and British (lexicon-gb-en.txt, which would
 * shadow it) is left out when both are there; kokoro-multi-lang-v1_0 then reads lexicon-us-en.txt,lexicon-zh.txt.
 */
export const lexicons = (entries: readonly string[]): string | undefined => {
  const found = entries.filter((entry) => /^lexicon.*\.txt$/.test(entry)).sort();
  const american = found.includes('lexicon-us-en.txt');
  const ordered = american
    ? ['lexicon-us-en.txt', ...found.filter((entry) => !/^lexicon-(us|gb)-en\.txt$/.test(entry))]
    : found;
  return ordered.length === 0 ? undefined : ordered.join(',');
};

/**
 * The one file whose name ends with `<suffix>.onnx`, else the one ending with `<suffix>.int8.onnx` (Whisper's
 * archives ship tiny.en-encoder.onnx and tiny.en-encoder.int8.onnx; Parakeet's only encoder.int8.onnx).
 */
const onnxEndingWith =
  (suffix: string) =>
  (entries: readonly string[]): string | undefined => {
    for (const ending of [`${suffix}.onnx`, `${suffix}.int8.onnx`]) {
      const found = entries.filter((entry) => entry.endsWith(ending));
      if (found.length === 1) return found[0];
    }
    return undefined;
  };

/** The one `*tokens.txt` (Whisper's archives: tiny.en-tokens.txt). */
const oneTokens = (entries: readonly string[]): string | undefined => {
  const found = entries.filter((entry) => entry.endsWith('tokens.txt'));
  return found.length === 1 ? found[0] : undefined;
};

/** Silero VAD beside an asr model: long audio is cut at its pauses (without it, every 28 s). */
const SILERO_VAD: RoleDefault = { name: 'silero_vad.onnx', optional: true };

const ESPEAK_DATA: RoleDefault = { name: 'espeak-ng-data', optional: true };
const TOKENS: RoleDefault = { name: 'tokens.txt' };
const LEXICON: RoleDefault = { name: lexicons, optional: true };

/**
 * Each family's roles and the names sherpa-onnx's release archives give them (k2-fsa/sherpa-onnx releases
 * tts-models: kokoro-multi-lang-v1_0, kokoro-en-v0_19, vits-piper-*, matcha-icefall-*, ...; asr-models:
 * sherpa-onnx-whisper-tiny.en, sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8, and silero_vad.onnx).
 */
export const FAMILY_FILES: Readonly<
  Partial<Record<Family, Partial<Record<FileRole, RoleDefault>>>>
> = {
  kokoro: {
    model: { name: 'model.onnx' },
    voices: { name: 'voices.bin' },
    tokens: TOKENS,
    lexicon: LEXICON,
    dataDir: ESPEAK_DATA,
  },
  vits: { model: { name: onlyOnnx }, tokens: TOKENS, lexicon: LEXICON, dataDir: ESPEAK_DATA },
  matcha: {
    acousticModel: { name: 'model-steps-3.onnx' },
    vocoder: { name: 'vocos-22khz-univ.onnx' },
    tokens: TOKENS,
    lexicon: LEXICON,
    dataDir: ESPEAK_DATA,
  },
  zipvoice: {
    encoder: { name: 'text_encoder.onnx' },
    decoder: { name: 'fm_decoder.onnx' },
    vocoder: { name: 'vocos_24khz.onnx' },
    tokens: TOKENS,
    lexicon: LEXICON,
    dataDir: ESPEAK_DATA,
  },
  whisper: {
    encoder: { name: onnxEndingWith('encoder') },
    decoder: { name: onnxEndingWith('decoder') },
    tokens: { name: oneTokens },
    vad: SILERO_VAD,
  },
  'nemo-transducer': {
    encoder: { name: onnxEndingWith('encoder') },
    decoder: { name: onnxEndingWith('decoder') },
    joiner: { name: onnxEndingWith('joiner') },
    tokens: TOKENS,
    vad: SILERO_VAD,
  },
  // sherpa-onnx-pocket-tts-2026-01-26 names them lm_flow.onnx, ...; its int8 archive lm_flow.int8.onnx,
  // lm_main.int8.onnx, decoder.int8.onnx beside encoder.onnx and text_conditioner.onnx (export-pocket-tts.yaml).
  pocket: {
    lmFlow: { name: onnxEndingWith('lm_flow') },
    lmMain: { name: onnxEndingWith('lm_main') },
    encoder: { name: onnxEndingWith('encoder') },
    decoder: { name: onnxEndingWith('decoder') },
    textConditioner: { name: onnxEndingWith('text_conditioner') },
    vocabJson: { name: 'vocab.json' },
    tokenScoresJson: { name: 'token_scores.json' },
  },
};

/** The model folder, absolute. */
export function modelFolderOf(config: SherpaOnnxEngineConfig, modelsDirectory: string): string {
  return path.resolve(modelsDirectory, config.path);
}

/**
 * The family's files, absolute: a configured name, else the default found in the folder. Throws an Error naming
 * the folder and the role for a required file that is not there (or a configured one of any role).
 */
export function resolveFiles(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
): Partial<Record<FileRole, string>> {
  const folder = modelFolderOf(config, modelsDirectory);
  if (!existsSync(folder))
    throw new Error(`sherpa-onnx ${config.family}: the model folder ${folder} does not exist`);
  const entries = readdirSync(folder);
  const resolved: Partial<Record<FileRole, string>> = {};
  for (const [role, fallback] of Object.entries(FAMILY_FILES[config.family] ?? {})) {
    const key = role as FileRole;
    const configured = config.files[key];
    const name =
      configured ?? (typeof fallback.name === 'string' ? fallback.name : fallback.name(entries));
    const paths = name?.split(',').map((part) => path.resolve(folder, part.trim()));
    const missing = paths?.find((file) => !existsSync(file));
    if (paths === undefined || missing !== undefined) {
      if (configured === undefined && fallback.optional === true) continue;
      throw new Error(
        `sherpa-onnx ${config.family}: the ${key} file ${missing ?? '(none found)'} is not in ${folder} (set engine.files.${key})`,
      );
    }
    resolved[key] = paths.join(',');
  }
  return resolved;
}
