// The workflow mapping: examples/comfyui/rialto.yaml parses and its workflows load; fields are written into
// their node inputs, unsent images take their loaders out with every link to them; bad mappings fail the start.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { comfyUiEngine } from '../../config/comfyui-engine-config.ts';
import { parseConfig } from '../../config.ts';
import { comfyUiKind } from './comfyui-kind.ts';
import { ComfyUiWorkflow } from './comfyui-workflow.ts';

const example = parseConfig(
  parse(readFileSync(new URL('../../../examples/comfyui/rialto.yaml', import.meta.url), 'utf8')),
);
const [sdxl, edit] = example.models.map((model) => ({
  ...model,
  engine: comfyUiEngine.parse(model.engine),
}));

describe('ComfyUiWorkflow', () => {
  it("fills the example SDXL workflow's node inputs from the request's fields", async () => {
    const workflow = await ComfyUiWorkflow.load(sdxl!.engine);
    const graph = workflow.fill({ prompt: 'a fox', seed: 7, width: 512, height: 768, count: 2 });
    assert.equal(graph['6']!.inputs.text, 'a fox');
    assert.equal(
      graph['7']!.inputs.text,
      'blurry, low quality',
      'an unsent field keeps the default',
    );
    assert.deepEqual(graph['5']!.inputs, { width: 512, height: 768, batch_size: 2 });
    assert.equal(graph['3']!.inputs.seed, 7);
    assert.deepEqual(workflow.outputs, ['9']);
    assert.equal(
      workflow.fill({})['6']!.inputs.text,
      'a photo of a cat',
      'each fill starts afresh',
    );
  });

  it('takes out the loaders of images a request did not send, and every link to them', async () => {
    const workflow = await ComfyUiWorkflow.load(edit!.engine);
    const graph = workflow.fill({ image: 'a.png' }, ['image_2', 'image_3']);
    assert.equal(graph['78']!.inputs.image, 'a.png');
    assert.deepEqual([graph['106'], graph['108']], [undefined, undefined]);
    assert.deepEqual(Object.keys(graph['76']!.inputs).sort(), ['clip', 'image1', 'prompt', 'vae']);
  });

  it('a file that is no API-format workflow, or a mapping to a missing node, fails with the file named', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rialto-comfyui-'));
    const file = join(folder, 'ui-format.json');
    writeFileSync(file, JSON.stringify({ nodes: [], links: [] }));
    await assert.rejects(
      ComfyUiWorkflow.load({ ...sdxl!.engine, workflow: file }),
      /ui-format\.json is not a ComfyUI workflow in API format/,
    );
    await assert.rejects(
      ComfyUiWorkflow.load({ ...sdxl!.engine, inputs: { prompt: { node: '66', input: 'text' } } }),
      /has no node "66" \(engine\.inputs\.prompt\)/,
    );
    await assert.rejects(
      ComfyUiWorkflow.load({ ...sdxl!.engine, outputs: ['99'] }),
      /has no node "99" \(engine\.outputs\)/,
    );
  });

  it("the kind refuses a field the model's type does not take", () => {
    assert.doesNotThrow(() => comfyUiKind.check?.(sdxl!));
    assert.throws(
      () =>
        comfyUiKind.check?.({
          ...sdxl!,
          engine: { ...sdxl!.engine, inputs: { image: { node: '6', input: 'x' } } },
        }),
      /engine\.inputs\.image is not a field of image models/,
    );
  });
});
