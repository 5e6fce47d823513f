import {
  openAiCompatibleEngine,
  type OpenAiCompatibleEngineConfig,
} from '../../config/engine-config.ts';
import { MODEL_TYPES, type ModelType } from '../../schemas/models.ts';
import type { Engine } from '../engine.ts';
import type { EngineKind, ModelOf } from '../engine-kind.ts';

type UpstreamModel = ModelOf<OpenAiCompatibleEngineConfig>;

const textEngine = async (model: UpstreamModel): Promise<Engine> =>
  new (await import('./openai-compatible-engine.ts')).OpenAiCompatibleEngine(model.engine);
const imageEngine = async (model: UpstreamModel): Promise<Engine> =>
  new (await import('./openai-image-engine.ts')).OpenAiImageEngine(model.engine);

/** The upstream API each model type is served through (upscale and music have none in the OpenAI API). */
const ENGINE_OF_TYPE: { readonly [Type in ModelType]?: (model: UpstreamModel) => Promise<Engine> } =
  {
    text: textEngine,
    embedding: textEngine,
    tts: async (model) =>
      (await import('./openai-speech-engine.ts')).createOpenAiSpeechEngine(model.engine, model),
    asr: async (model) =>
      (await import('./openai-transcription-engine.ts')).createOpenAiTranscriptionEngine(
        model.engine,
      ),
    image: imageEngine,
    inpaint: imageEngine,
    video: async (model) =>
      new (await import('./openai-video-engine.ts')).OpenAiVideoEngine(
        model.engine,
        model.videoConstraints,
      ),
  };

/** OpenAI-compatible upstreams (vLLM, llama.cpp's server, Ollama, LocalAI, OpenAI): every type it has an API for. */
export const openAiCompatibleKind: EngineKind<OpenAiCompatibleEngineConfig> = {
  kind: 'openai-compatible',
  modelTypes: MODEL_TYPES.filter((type) => ENGINE_OF_TYPE[type] !== undefined),
  configSchema: openAiCompatibleEngine,
  open: () => ({
    async create(model) {
      const make = ENGINE_OF_TYPE[model.type];
      if (make === undefined)
        throw new Error(
          `model ${model.id}: ${model.type} models on openai-compatible upstreams are not supported yet`,
        );
      return { engine: await make(model), engineModel: model.engine.model ?? model.id };
    },
  }),
};
