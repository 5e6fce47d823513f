import type { ModelConfig } from '../config.ts';
import { automatic1111Kind } from './automatic1111/automatic1111-kind.ts';
import { chatterboxKind } from './chatterbox/chatterbox-kind.ts';
import { comfyUiKind } from './comfyui/comfyui-kind.ts';
import type { EngineKind } from './engine-kind.ts';
import { EngineRegistry } from './engine-registry.ts';
import { espeakNgKind } from './espeak-ng/espeak-ng-kind.ts';
import { esrganKind } from './esrgan/esrgan-kind.ts';
import { llamaCppKind } from './llama-cpp/llama-cpp-kind.ts';
import { llamaServerKind } from './llama-server/llama-server-kind.ts';
import { onnxBackgroundRemovalKind } from './onnx-background-removal/onnx-background-removal-kind.ts';
import { openAiCompatibleKind } from './openai-compatible/openai-compatible-kind.ts';
import { pocketsphinxKind } from './pocketsphinx/pocketsphinx-kind.ts';
import { sherpaOnnxKind } from './sherpa-onnx/sherpa-onnx-kind.ts';
import { veniceKind } from './venice/venice-kind.ts';

type EngineConfig = ModelConfig['engine'];

/** Every kind rialto.yaml accepts (config/engine-config.ts): one missing here fails the typecheck. */
const BUILT_IN_KINDS: {
  readonly [Kind in EngineConfig['kind']]: EngineKind<Extract<EngineConfig, { kind: Kind }>>;
} = {
  'llama-cpp': llamaCppKind,
  'llama-server': llamaServerKind,
  'openai-compatible': openAiCompatibleKind,
  'espeak-ng': espeakNgKind,
  pocketsphinx: pocketsphinxKind,
  automatic1111: automatic1111Kind,
  esrgan: esrganKind,
  'onnx-background-removal': onnxBackgroundRemovalKind,
  venice: veniceKind,
  comfyui: comfyUiKind,
  'sherpa-onnx': sherpaOnnxKind,
  chatterbox: chatterboxKind,
};

/** A registry of the built-in kinds; importing it loads no engine (each kind imports its engine when it creates one). */
export function builtInEngineRegistry(): EngineRegistry {
  const registry = new EngineRegistry();
  for (const kind of Object.values(BUILT_IN_KINDS)) registry.register<EngineConfig>(kind);
  return registry;
}
