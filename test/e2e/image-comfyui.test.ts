// rialto-test: sqlite-only
// Venice's documented image examples (docs/guides/media/image-generation.mdx, image-editing.mdx) sent unchanged,
// but for the base URL and key, to comfyui models running the example workflows of examples/comfyui/ on the
// ComfyUI double (test/support/comfyui-double.ts, a real HTTP + WebSocket server): every answer checked against
// the swagger, what reached ComfyUI checked, and a client that leaves interrupts its prompt.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { type ComfyUiDouble, startComfyUiDouble } from '../support/comfyui-double.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { ledger, postJson, solid } from './image-edit-support.ts';

const FREE = { usd: 0, diem: 0 };
const SDXL_INPUTS = {
  prompt: { node: '6', input: 'text' },
  negative_prompt: { node: '7', input: 'text' },
  seed: { node: '3', input: 'seed' },
  steps: { node: '3', input: 'steps' },
  cfg: { node: '3', input: 'cfg' },
  width: { node: '5', input: 'width' },
  height: { node: '5', input: 'height' },
  count: { node: '5', input: 'batch_size' },
};
const EDIT_INPUTS = {
  prompt: { node: '76', input: 'prompt' },
  seed: { node: '3', input: 'seed' },
  steps: { node: '3', input: 'steps' },
  cfg: { node: '3', input: 'cfg' },
  image: { node: '78', input: 'image' },
  image_2: { node: '106', input: 'image' },
  image_3: { node: '108', input: 'image' },
};

describe('image routes on comfyui models (Venice doc examples)', () => {
  let comfy: ComfyUiDouble;
  let rialto: TestRialto;
  let images: Server;
  let imageOrigin = '';
  const pictures = new Map<string, Buffer>();
  const engine = (workflow: string, inputs: unknown, outputs: string[]) => ({
    kind: 'comfyui',
    endpoints: [{ url: comfy.url, name: 'comfy' }],
    workflow: `examples/comfyui/${workflow}`,
    inputs,
    outputs,
    pollIntervalMs: 100,
  });
  before(async () => {
    comfy = await startComfyUiDouble();
    comfy.stepMs = 1;
    images = createServer((request, response) => {
      const bytes = pictures.get((request.url ?? '/').slice(1));
      if (bytes === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageOrigin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    const sdxl = engine('sdxl-txt2img.json', SDXL_INPUTS, ['9']);
    rialto = await startRialto({
      fetch: { allowHosts: ['127.0.0.1'] },
      models: [
        { id: 'venice-sd35', type: 'image', engine: sdxl },
        { id: 'sd-hurried', type: 'image', engine: { ...sdxl, timeoutMs: 400 } },
        {
          id: 'qwen-image-2',
          type: 'image',
          engine: sdxl,
          imageConstraints: { aspectRatios: ['1:1', '16:9', '9:16'], defaultAspectRatio: '1:1' },
        },
        {
          id: 'qwen-edit',
          type: 'inpaint',
          engine: engine('qwen-image-edit.json', EDIT_INPUTS, ['60']),
          imageConstraints: { maxInputImages: 3 },
          pricing: { input: FREE, output: FREE, inpaint: { usd: 0.04, diem: 0.04 } },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await comfy?.close();
    await new Promise((resolve) => images?.close(resolve));
  });

  const last = () => comfy.submitted.at(-1)!.prompt;
  const ok = async (response: Response, path: string): Promise<Response> => {
    assert.equal(response.status, 200, await response.clone().text());
    const contentType = response.headers.get('content-type') ?? '';
    const body = contentType.startsWith('application/json')
      ? await response.clone().json()
      : Buffer.from(await response.clone().arrayBuffer());
    validateResponse({ method: 'POST', path, status: 200, contentType, body });
    assert.equal(response.headers.get('x-venice-model-router'), 'comfyui/comfy');
    return response;
  };

  it('/image/generate, pixel sizing (venice-sd35): the prompt, negative prompt and size reach the workflow', async () => {
    const example = {
      model: 'venice-sd35',
      prompt:
        'A cinematic photo of a gondola passing through a narrow Venice canal at blue hour, warm window lights reflecting on the water',
      negative_prompt: 'blurry, low quality, distorted anatomy, text, watermark',
      width: 1024,
      height: 1024,
      format: 'webp',
    };
    const response = await ok(
      await postJson(rialto, '/image/generate', example),
      '/image/generate',
    );
    const body = (await response.json()) as { images: string[] };
    const meta = await sharp(Buffer.from(body.images[0]!, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 1024, 1024]);
    const prompt = last();
    assert.equal(prompt['6']!.inputs!.text, example.prompt);
    assert.equal(prompt['7']!.inputs!.text, example.negative_prompt);
    assert.deepEqual(prompt['5']!.inputs, { width: 1024, height: 1024, batch_size: 1 });
    assert.equal(typeof prompt['3']!.inputs!.seed, 'number', 'a random seed when none is given');
  });

  it('/image/generate, aspect-ratio sizing (qwen-image-2 16:9): a wide image', async () => {
    const example = {
      model: 'qwen-image-2',
      prompt: 'A cinematic photo of a gondola passing through a narrow Venice canal at blue hour',
      aspect_ratio: '16:9',
      format: 'webp',
    };
    const response = await ok(
      await postJson(rialto, '/image/generate', example),
      '/image/generate',
    );
    const body = (await response.json()) as { images: string[] };
    const meta = await sharp(Buffer.from(body.images[0]!, 'base64')).metadata();
    const sent = last()['5']!.inputs!;
    assert.deepEqual([meta.width, meta.height], [sent.width, sent.height]);
    assert.ok(Number(sent.width) > Number(sent.height));
  });

  it('/images/generations (OpenAI-compatible, b64_json)', async () => {
    const example = {
      model: 'qwen-image-2',
      prompt: 'A clean isometric illustration of an AI control room',
      size: '1024x1024',
      response_format: 'b64_json',
    };
    const response = await ok(
      await postJson(rialto, '/images/generations', example),
      '/images/generations',
    );
    const body = (await response.json()) as { data: { b64_json: string }[] };
    const meta = await sharp(Buffer.from(body.data[0]!.b64_json, 'base64')).metadata();
    assert.deepEqual([meta.width, meta.height], [1024, 1024]);
    assert.equal(last()['6']!.inputs!.text, example.prompt);
  });

  it('/image/edit (qwen-edit, base64): the image is uploaded, the layers’ loaders are taken out, billed once', async () => {
    const { balance: before } = await ledger(rialto);
    const input = await solid([200, 30, 30], 320, 240);
    const example = {
      model: 'qwen-edit',
      prompt: 'Remove the tourist crowd from the square and keep the architecture intact',
      image: input.toString('base64'),
    };
    const response = await ok(await postJson(rialto, '/image/edit', example), '/image/edit');
    const edited = Buffer.from(await response.arrayBuffer());
    assert.equal((await sharp(edited).metadata()).format, 'png');
    const prompt = last();
    assert.equal(prompt['76']!.inputs!.prompt, example.prompt);
    assert.equal(prompt['78']!.inputs!.image, comfy.uploads.at(-1));
    assert.deepEqual(
      [prompt['106'], prompt['108'], prompt['76']!.inputs!.image2],
      [undefined, undefined, undefined],
    );
    const { balance } = await ledger(rialto);
    assert.equal(before - balance, 0.04 * 1e9);
  });

  it('/image/multi-edit (qwen-edit, two image URLs): base and one layer, each uploaded', async () => {
    pictures.set('street-scene.png', await solid([40, 40, 200], 320, 240));
    pictures.set('billboard-mask.png', await solid([255, 255, 255], 320, 240));
    const example = {
      modelId: 'qwen-edit',
      prompt:
        'Replace the blank billboard area with a glowing Venice film festival poster while preserving lighting and perspective',
      images: [`${imageOrigin}/street-scene.png`, `${imageOrigin}/billboard-mask.png`],
    };
    const uploads = comfy.uploads.length;
    await ok(await postJson(rialto, '/image/multi-edit', example), '/image/multi-edit');
    const prompt = last();
    assert.equal(comfy.uploads.length, uploads + 2);
    assert.deepEqual(
      [prompt['78']!.inputs!.image, prompt['106']!.inputs!.image, prompt['108']],
      [comfy.uploads.at(-2), comfy.uploads.at(-1), undefined],
    );
  });

  it('a workflow ComfyUI refuses (node_errors) is 500 INFERENCE_FAILED, nothing billed', async () => {
    const { balance: before } = await ledger(rialto);
    comfy.refuse = {
      error: {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
      },
      node_errors: {
        '37': {
          class_type: 'UNETLoader',
          errors: [{ type: 'value_not_in_list', message: 'Value not in list' }],
        },
      },
    };
    try {
      const response = await postJson(rialto, '/image/edit', {
        model: 'qwen-edit',
        prompt: 'Colorize this black and white portrait naturally',
        image: (await solid([90, 90, 90], 320, 240)).toString('base64'),
      });
      assert.equal(response.status, 500, await response.clone().text());
      const body = (await response.json()) as Record<string, unknown>;
      validateResponse({ method: 'POST', path: '/image/edit', status: 500, body });
      assert.equal(body.error, 'Image edit failed');
      assert.doesNotMatch(JSON.stringify(body), /UNETLoader|Value not in list/);
      // /image/generate answers the table's INFERENCE_FAILED (a 400 would blame the client for the workflow).
      const generated = await postJson(rialto, '/image/generate', {
        model: 'venice-sd35',
        prompt: 'a serene canal in venice at sunset',
        width: 1024,
        height: 1024,
      });
      assert.equal(generated.status, 500);
      const refused = (await generated.json()) as Record<string, unknown>;
      validateResponse({ method: 'POST', path: '/image/generate', status: 500, body: refused });
      assert.equal(refused.error, 'Inference processing failed');
    } finally {
      comfy.refuse = undefined;
    }
    assert.equal((await ledger(rialto)).balance, before);
  });

  it('a client that leaves interrupts its prompt on ComfyUI, and is charged nothing', async () => {
    const { balance: before } = await ledger(rialto);
    comfy.stepMs = 100;
    const controller = new AbortController();
    const pending = fetch(`${rialto.baseURL}/image/generate`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'venice-sd35',
        prompt: 'a very slow painting',
        width: 512,
        height: 512,
      }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    while (comfy.running === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    const promptId = comfy.running.promptId;
    controller.abort();
    await pending;
    for (
      let tries = 0;
      tries < 100 && !comfy.interrupts.some((entry) => entry.promptId === promptId);
      tries += 1
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    comfy.stepMs = 1;
    assert.ok(
      comfy.interrupts.some((entry) => entry.promptId === promptId && entry.running === promptId),
      JSON.stringify(comfy.interrupts),
    );
    // keys-and-limits.md's early-end table: a client gone before any image was made pays for nothing, and the
    // reservation is released (not left to its lease).
    let account = await rialto.store.accounts.find('default');
    for (let tries = 0; tries < 100 && (account?.usdReserved ?? 0) !== 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      account = await rialto.store.accounts.find('default');
    }
    assert.equal(account?.usdReserved, 0);
    assert.equal(account?.usdBalance, before);
  });

  it('a prompt past the engine timeout is 504 REQUEST_TIMEOUT, cancelled on ComfyUI, nothing billed', async () => {
    const { balance: before } = await ledger(rialto);
    comfy.stepMs = 100;
    try {
      const response = await postJson(rialto, '/image/generate', {
        model: 'sd-hurried',
        prompt: 'never finished',
        width: 512,
        height: 512,
      });
      assert.equal(response.status, 504, await response.clone().text());
      // The swagger documents no 504 on this path (as for automatic1111's); the body is still a StandardError.
      validateSchema('StandardError', await response.json());
      const promptId = comfy.submitted.at(-1)!.promptId;
      for (
        let tries = 0;
        tries < 100 && !comfy.interrupts.some((entry) => entry.promptId === promptId);
        tries += 1
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(comfy.interrupts.some((entry) => entry.promptId === promptId));
    } finally {
      comfy.stepMs = 1;
    }
    assert.equal((await ledger(rialto)).balance, before);
  });
});
