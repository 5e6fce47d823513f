import { type ComfyUiEngineConfig, comfyUiEngine } from '../../config/comfyui-engine-config.ts';
import type { ModelType } from '../../schemas/models.ts';
import type { CreatedEngine, EngineKind, ModelOf } from '../engine-kind.ts';

type ComfyUiModel = ModelOf<ComfyUiEngineConfig>;

/**
 * The Venice request fields a comfyui model of each type maps onto its workflow (`engine.inputs` in rialto.yaml);
 * an unknown one fails the start. Files (`image`, `image_2`, `image_3`) are uploaded first (POST /upload/image) and
 * their names written into the node's input (LoadImage's `image`); a file the request does not send takes its node
 * out of the workflow, with every link to it, so one workflow serves edits of one, two or three images.
 * (Kept in this module: a kind's module imports no other engine file; see engine-kinds.test.ts.)
 */
export const COMFYUI_FIELDS: Partial<Record<ModelType, readonly string[]>> = {
  /** /image/generate, /images/generations. `count` is the batch size (variants); unmapped, one prompt per image. */
  image: ['prompt', 'negative_prompt', 'seed', 'width', 'height', 'steps', 'cfg', 'count'],
  /** /image/edit (image), /image/multi-edit (image, image_2, image_3: the base, then the layers). */
  inpaint: [
    'prompt',
    'negative_prompt',
    'seed',
    'width',
    'height',
    'steps',
    'cfg',
    'image',
    'image_2',
    'image_3',
  ],
  // video, music: #18 part B (the job engines) lists its fields here.
};

/** Makes a model's image engine: its workflow checked, defaults from its constraints. */
async function imageEngine(model: ComfyUiModel): Promise<CreatedEngine> {
  const [{ ComfyUiWorkflow }, { ComfyUiImageEngine }] = await Promise.all([
    import('./comfyui-workflow.ts'),
    import('./comfyui-image-engine.ts'),
  ]);
  const workflow = await ComfyUiWorkflow.load(model.engine);
  const defaults = {
    steps: model.imageConstraints.steps.default,
    cfgScale: model.imageConstraints.cfgScale,
  };
  return { engine: new ComfyUiImageEngine(model.engine, workflow, defaults) };
}

/**
 * The engine each model type gets. image and inpaint: ComfyUiImageEngine (generate and edit wait for the prompt).
 * video and music: #18 part B adds its job engines here (the async job API).
 */
const ENGINES: Partial<Record<ModelType, (model: ComfyUiModel) => Promise<CreatedEngine>>> = {
  image: imageEngine,
  inpaint: imageEngine,
};

/** A ComfyUI server running one API-format workflow per model. */
export const comfyUiKind: EngineKind<ComfyUiEngineConfig> = {
  kind: 'comfyui',
  modelTypes: Object.keys(ENGINES) as ModelType[],
  configSchema: comfyUiEngine,
  fileOf: (config) => config.workflow,
  check(model) {
    const known = COMFYUI_FIELDS[model.type] ?? [];
    for (const field of Object.keys(model.engine.inputs))
      if (!known.includes(field))
        throw new Error(
          `model ${model.id}: engine.inputs.${field} is not a field of a ${model.type} model (known: ${known.join(', ')})`,
        );
  },
  open: () => ({
    create(model) {
      const create = ENGINES[model.type];
      if (create === undefined) throw new Error(`comfyui serves no ${model.type} models`);
      return create(model);
    },
  }),
};
