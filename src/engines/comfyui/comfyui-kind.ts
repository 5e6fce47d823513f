import { type ComfyUiEngineConfig, comfyUiEngine } from '../../config/comfyui-engine-config.ts';
import type { ModelType } from '../../schemas/models.ts';
import type { CreatedEngine, EngineKind, EngineKindContext, ModelOf } from '../engine-kind.ts';

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
  /** /video/queue (comfyui-job-fields.ts): media fields are data URLs, uploaded first; fps is read from the workflow. */
  video: [
    'prompt',
    'negative_prompt',
    'seed',
    'width',
    'height',
    'duration',
    'fps',
    'length',
    'image',
    'end_image',
    'video',
    'audio',
    'reference_image',
    'upscale_factor',
  ],
  /** /audio/queue: music and sound effects. */
  music: ['prompt', 'lyrics', 'duration', 'seed'],
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

/** Makes a model's job engine (video, music: the durable job API), on the workflow checked as images' are. */
async function jobEngine(model: ComfyUiModel, context: EngineKindContext): Promise<CreatedEngine> {
  const [{ ComfyUiWorkflow }, { ComfyUiJobEngine }, { ComfyUiClient }] = await Promise.all([
    import('./comfyui-workflow.ts'),
    import('./comfyui-job-engine.ts'),
    import('./comfyui-client.ts'),
  ]);
  const workflow = await ComfyUiWorkflow.load(model.engine);
  const client = new ComfyUiClient(model.engine, model.engine.pollIntervalMs);
  return {
    engine: new ComfyUiJobEngine(client, model.engine, model, workflow.fill({}), context.logger),
  };
}

/**
 * The engine each model type gets. image and inpaint: ComfyUiImageEngine (generate and edit wait for the prompt).
 * video and music: #18 part B adds its job engines here (the async job API).
 */
const ENGINES: Partial<
  Record<ModelType, (model: ComfyUiModel, context: EngineKindContext) => Promise<CreatedEngine>>
> = {
  image: imageEngine,
  inpaint: imageEngine,
  video: jobEngine,
  music: jobEngine,
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
          `model ${model.id}: engine.inputs.${field} is not a field of ${model.type} models (known: ${known.join(', ')})`,
        );
  },
  open: (context) => ({
    create(model) {
      const create = ENGINES[model.type];
      if (create === undefined) throw new Error(`comfyui serves no ${model.type} models`);
      return create(model, context);
    },
  }),
};
