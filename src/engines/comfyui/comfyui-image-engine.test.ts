// ComfyUiImageEngine on the ComfyUI double: variants as one batch where `count` is mapped, else one prompt per
// image with seeds following on; an edit's images uploaded and the unsent layers' loaders taken out; more images
// than the mapping takes refused before anything is sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { type ComfyUiDouble, startComfyUiDouble } from '../../../test/support/comfyui-double.ts';
import { comfyUiEngine } from '../../config/comfyui-engine-config.ts';
import { EngineError } from '../engine-error.ts';
import { ComfyUiImageEngine } from './comfyui-image-engine.ts';
import { ComfyUiWorkflow } from './comfyui-workflow.ts';

const SDXL_INPUTS = {
  prompt: { node: '6', input: 'text' },
  seed: { node: '3', input: 'seed' },
  steps: { node: '3', input: 'steps' },
  width: { node: '5', input: 'width' },
  height: { node: '5', input: 'height' },
};
const request = {
  model: 'm',
  prompt: 'a pear',
  width: 64,
  height: 48,
  steps: 3,
  cfgScale: 5,
  seed: 40,
};
const call = () => ({ signal: AbortSignal.timeout(20_000) });

describe('ComfyUiImageEngine', () => {
  let double: ComfyUiDouble;
  const engines: ComfyUiImageEngine[] = [];
  const engineOf = async (workflow: string, inputs: Record<string, unknown>, outputs: string[]) => {
    const config = comfyUiEngine.parse({
      kind: 'comfyui',
      endpoints: [{ url: double.url }],
      workflow: `examples/comfyui/${workflow}`,
      inputs,
      outputs,
      pollIntervalMs: 50,
    });
    const engine = new ComfyUiImageEngine(config, await ComfyUiWorkflow.load(config), {
      steps: 4,
      cfgScale: 2.5,
    });
    engines.push(engine);
    return engine;
  };
  before(async () => {
    double = await startComfyUiDouble();
    double.stepMs = 1;
  });
  after(async () => {
    await Promise.all(engines.map((engine) => engine.close()));
    await double.close();
  });

  it('count unmapped: one prompt per image, seeds following on, distinct pictures', async () => {
    const engine = await engineOf('sdxl-txt2img.json', SDXL_INPUTS, ['9']);
    const before = double.submitted.length;
    const result = await engine.generate({ ...request, count: 2 }, call());
    const sent = double.submitted.slice(before).map((entry) => entry.prompt['3']!.inputs!.seed);
    assert.deepEqual(sent, [40, 41]);
    assert.equal(result.seed, 40);
    const [first, second] = await Promise.all(
      result.images.map((image) => sharp(image).raw().toBuffer()),
    );
    assert.notDeepEqual(first, second);
    assert.deepEqual((await sharp(result.images[0]!).metadata()).width, 64);
  });

  it('count mapped: one prompt, batch_size = count', async () => {
    const engine = await engineOf(
      'sdxl-txt2img.json',
      { ...SDXL_INPUTS, count: { node: '5', input: 'batch_size' } },
      ['9'],
    );
    const before = double.submitted.length;
    const result = await engine.generate({ ...request, count: 3 }, call());
    assert.equal(double.submitted.length, before + 1);
    assert.equal(double.submitted.at(-1)!.prompt['5']!.inputs!.batch_size, 3);
    assert.equal(result.images.length, 3);
  });

  it("an edit takes the model's steps and cfg; more images than mapped is refused before any upload", async () => {
    const engine = await engineOf(
      'qwen-image-edit.json',
      {
        prompt: { node: '76', input: 'prompt' },
        steps: { node: '3', input: 'steps' },
        cfg: { node: '3', input: 'cfg' },
        image: { node: '78', input: 'image' },
        image_2: { node: '106', input: 'image' },
        image_3: { node: '108', input: 'image' },
      },
      ['60'],
    );
    const picture = await sharp({
      create: { width: 80, height: 60, channels: 3, background: '#336699' },
    })
      .png()
      .toBuffer();
    const edit = { model: 'm', prompt: 'sunrise', width: 80, height: 60, seed: 9 };
    const uploads = double.uploads.length;
    await assert.rejects(
      engine.edit({ ...edit, images: [picture, picture, picture, picture] }, call()),
      (error: unknown) => error instanceof EngineError && /at most 3 images/.test(error.message),
    );
    assert.equal(double.uploads.length, uploads);
    const result = await engine.edit({ ...edit, images: [picture] }, call());
    const sent = double.submitted.at(-1)!.prompt;
    assert.deepEqual([sent['3']!.inputs!.steps, sent['3']!.inputs!.cfg], [4, 2.5]);
    assert.deepEqual([sent['106'], sent['108']], [undefined, undefined]);
    assert.equal(result.images.length, 1);
  });
});
