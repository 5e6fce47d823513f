import path from 'node:path';
import {
  SHERPA_ONNX_ASR_FAMILIES,
  SHERPA_ONNX_TTS_FAMILIES,
  sherpaOnnxEngine,
  type SherpaOnnxEngineConfig,
} from '../../config/engine-config.ts';
import type { EngineKind, EngineKindContext, ModelOf } from '../engine-kind.ts';
import type { Engine } from '../engine.ts';

type TtsFamily = (typeof SHERPA_ONNX_TTS_FAMILIES)[number];
type AsrFamily = (typeof SHERPA_ONNX_ASR_FAMILIES)[number];

function isTtsFamily(family: SherpaOnnxEngineConfig['family']): family is TtsFamily {
  return (SHERPA_ONNX_TTS_FAMILIES as readonly string[]).includes(family);
}

function isAsrFamily(family: SherpaOnnxEngineConfig['family']): family is AsrFamily {
  return (SHERPA_ONNX_ASR_FAMILIES as readonly string[]).includes(family);
}

/**
 * The engine for a tts family (OfflineTts). Pocket TTS clones voices (POST /audio/voices): their samples are kept in
 * <dataDirectory>/voices, beside the models folder (EngineKindContext.modelsDirectory is <dataDirectory>/models).
 */
async function createTts(
  model: ModelOf<SherpaOnnxEngineConfig>,
  context: EngineKindContext,
): Promise<Engine> {
  if (model.engine.family === 'pocket')
    return (await import('./sherpa-onnx-cloning-tts-engine.ts')).createSherpaOnnxCloningTtsEngine(
      model.engine,
      context.modelsDirectory,
      path.join(path.dirname(context.modelsDirectory), 'voices'),
    );
  return (await import('./sherpa-onnx-tts-engine.ts')).createSherpaOnnxTtsEngine(
    model.engine,
    context.modelsDirectory,
  );
}

/** The engine for an asr family (OfflineRecognizer, with Silero VAD for long audio): whisper, nemo-transducer. */
async function createAsr(
  model: ModelOf<SherpaOnnxEngineConfig>,
  context: EngineKindContext,
): Promise<Engine> {
  const { family } = model.engine;
  if (family !== 'whisper' && family !== 'nemo-transducer')
    throw new Error(
      `model ${model.id}: sherpa-onnx speech recognition serves whisper and nemo-transducer, not ${family} yet`,
    );
  return (await import('./sherpa-onnx-asr-engine.ts')).createSherpaOnnxAsrEngine(
    model.engine,
    context.modelsDirectory,
  );
}

/** Speech with sherpa-onnx (sherpa-onnx-node): tts families for `tts` models, asr families for `asr` models. */
export const sherpaOnnxKind: EngineKind<SherpaOnnxEngineConfig> = {
  kind: 'sherpa-onnx',
  modelTypes: ['tts', 'asr'],
  configSchema: sherpaOnnxEngine,
  // The model folder (as sherpa-onnx-files.ts's modelFolderOf; not imported, so planning loads no engine module).
  fileOf: (config, modelsDirectory) => path.resolve(modelsDirectory, config.path),
  check: (model) => {
    const { family } = model.engine;
    if (model.type === 'tts' && !isTtsFamily(family))
      throw new Error(
        `model ${model.id}: a tts model needs a sherpa-onnx tts family (${SHERPA_ONNX_TTS_FAMILIES.join(', ')}), not ${family}`,
      );
    if (model.type === 'asr' && !isAsrFamily(family))
      throw new Error(
        `model ${model.id}: an asr model needs a sherpa-onnx asr family (${SHERPA_ONNX_ASR_FAMILIES.join(', ')}), not ${family}`,
      );
  },
  open: (context) => ({
    create: async (model) => ({
      engine: isTtsFamily(model.engine.family)
        ? await createTts(model, context)
        : await createAsr(model, context),
    }),
  }),
};
