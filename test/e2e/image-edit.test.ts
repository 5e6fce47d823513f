// POST /image/edit through Rialto to the OpenAI-images double (OpenAI and LocalAI dialects): every input form
// (base64, data URL, http URL, multipart file), the image and prompt reaching the upstream, output size and
// format, validation, image limits, upstream failures, billing, and the inpaint model listing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { Agent, request } from 'undici';
import { toNanos } from '../../src/services/billing/money.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import { SERVER_ERROR } from '../support/upstream/openai-images-server.ts';
import {
  EDIT_PRICE,
  ledger,
  near,
  pixel,
  postForm,
  postJson,
  solid,
  startEditFixture,
  TIER_2K_LOW,
  type EditFixture,
} from './image-edit-support.ts';

const PATH = '/image/edit';
const CYAN: [number, number, number] = [0, 255, 255];

describe('POST /image/edit', () => {
  let fixture: EditFixture;
  let red: Buffer;
  before(async () => {
    fixture = await startEditFixture();
    red = await solid([255, 0, 0]);
  });
  after(async () => fixture?.close());

  const edit = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    postJson(fixture.rialto, PATH, { model: 'edit-gpt', prompt: 'make it cyan', ...body }, headers);
  const ok = async (response: Response): Promise<Buffer> => {
    assert.equal(response.status, 200, await response.clone().text());
    const image = Buffer.from(await response.arrayBuffer());
    validateResponse({
      method: 'POST',
      path: PATH,
      status: 200,
      contentType: response.headers.get('content-type') ?? '',
      body: image,
    });
    return image;
  };
  const refusal = async (
    response: Response,
    status: number,
    error: string,
  ): Promise<Record<string, unknown>> => {
    assert.equal(response.status, status, await response.clone().text());
    const body = (await response.json()) as Record<string, unknown>;
    if (status === 422) validateSchema('StandardError', body);
    else validateResponse({ method: 'POST', path: PATH, status, body });
    assert.equal(body.error, error);
    return body;
  };

  it("JSON base64: a PNG at 1K in the listed aspect ratio closest to the input's, edited from the image the upstream received", async () => {
    const before = fixture.openai.requests.length;
    const response = await edit(
      { image: red.toString('base64') },
      { 'accept-encoding': 'gzip, br' },
    );
    const image = await ok(response);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.equal(response.headers.get('content-encoding'), null);
    assert.equal(response.headers.get('x-venice-model-id'), 'edit-gpt');
    assert.equal(response.headers.get('x-venice-model-name'), 'GPT Image Edit');
    assert.equal(response.headers.get('x-venice-model-router'), 'openai-compatible/images');
    assert.equal(response.headers.get('x-venice-is-content-violation'), 'false');
    // 640x480 is 4:3; of the model's ratios 3:2 is closest: 1024 × 683 → 688 (a multiple of 16).
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1024, 688]);
    assert.deepEqual(await pixel(image, 500, 300), CYAN);
    assert.equal(fixture.openai.requests.length, before + 1);
    const sent = fixture.openai.requests.at(-1)!;
    assert.equal(sent.path, '/v1/images/edits');
    // gpt-image-1 gets the accepted size of the same ratio and no response_format (OpenAI refuses it from GPT image models).
    assert.deepEqual(sent.fields, {
      model: ['gpt-image-1'],
      prompt: ['make it cyan'],
      size: ['1536x1024'],
      n: ['1'],
    });
    assert.equal(sent.files!.length, 1);
    assert.equal(sent.files![0]!.field, 'image');
    assert.ok(sent.files![0]!.bytes.equals(red));
  });

  it('a data URL of a JPEG reaches the upstream as image/jpeg; output_format, "jpg" and aspect_ratio are honoured', async () => {
    const jpeg = await solid([0, 0, 255], 800, 800, 'jpeg');
    const response = await edit({
      image: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      output_format: 'jpg',
      aspect_ratio: '16:9',
    });
    const image = await ok(response);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 1024, 576]);
    assert.ok(near(await pixel(image, 512, 288), [255, 255, 0], 6));
    const sent = fixture.openai.requests.at(-1)!;
    assert.equal(sent.files![0]!.contentType, 'image/jpeg');
    assert.ok(sent.files![0]!.bytes.equals(jpeg));
    const webp = await ok(
      await edit({ image: red.toString('base64'), output_format: 'webp', aspect_ratio: '9:16' }),
    );
    const webpMetadata = await sharp(webp).metadata();
    assert.deepEqual(
      [webpMetadata.format, webpMetadata.width, webpMetadata.height],
      ['webp', 576, 1024],
    );
  });

  it('an http URL on 127.0.0.1 (config fetch.allowHosts) is fetched; a private address that is not allowed is refused', async () => {
    const green = await solid([0, 160, 0], 512, 512);
    fixture.images.set('green.png', { bytes: green, contentType: 'image/png' });
    const image = await ok(await edit({ image: `${fixture.imageOrigin}/green.png` }));
    assert.deepEqual(await pixel(image, 100, 100), [255, 95, 255]);
    assert.ok(fixture.openai.requests.at(-1)!.files![0]!.bytes.equals(green));
    const before = fixture.openai.requests.length;
    const refused = await refusal(
      await edit({ image: 'http://10.1.2.3/photo.png' }),
      400,
      'Could not fetch image: the URL points to a private address',
    );
    assert.deepEqual(refused.details, {
      image: { _errors: ['the URL points to a private address'] },
    });
    await refusal(
      await edit({ image: `${fixture.imageOrigin}/missing.png` }),
      400,
      'Could not fetch image: the server answered 404',
    );
    assert.equal(fixture.openai.requests.length, before);
  });

  it('multipart: the file part, text fields coerced (safe_mode "false"), the model in `modelId` (deprecated alias)', async () => {
    const form = new FormData();
    form.append('image', new Blob([red], { type: 'image/png' }), 'red.png');
    form.append('prompt', 'multipart edit');
    form.append('modelId', 'edit-gpt');
    form.append('safe_mode', 'false');
    form.append('output_format', 'png');
    form.append('aspect_ratio', '1:1');
    const response = await postForm(fixture.rialto, PATH, form);
    const image = await ok(response);
    assert.equal(response.headers.get('x-venice-model-id'), 'edit-gpt');
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.width, metadata.height], [1024, 1024]);
    const sent = fixture.openai.requests.at(-1)!;
    assert.deepEqual(sent.fields!.prompt, ['multipart edit']);
    assert.deepEqual(sent.fields!.size, ['1024x1024']);
    assert.ok(sent.files![0]!.bytes.equals(red));
    const bad = new FormData();
    bad.append('image', new Blob([red], { type: 'image/png' }), 'red.png');
    bad.append('prompt', 'x');
    bad.append('safe_mode', 'maybe');
    const badBody = await refusal(
      await postForm(fixture.rialto, PATH, bad),
      400,
      'Invalid request parameters',
    );
    assert.ok(JSON.stringify(badBody.details).includes('safe_mode'));
  });

  it('model: default = the first inpaint model, configured aliases (qwen-edit), `model` over `modelId`, unknown 404', async () => {
    const plain = await postJson(fixture.rialto, PATH, {
      image: red.toString('base64'),
      prompt: 'default model',
    });
    await ok(plain);
    assert.equal(plain.headers.get('x-venice-model-id'), 'edit-gpt');
    const alias = await edit({ model: 'qwen-edit', image: red.toString('base64') });
    await ok(alias);
    assert.equal(alias.headers.get('x-venice-model-id'), 'edit-gpt');
    const both = await edit({
      model: 'edit-dalle',
      modelId: 'edit-gpt',
      image: red.toString('base64'),
    });
    await ok(both);
    assert.equal(both.headers.get('x-venice-model-id'), 'edit-dalle');
    const unknown = await edit({ model: 'nano-banana-pro-edit', image: red.toString('base64') });
    assert.equal(unknown.status, 404);
    validateSchema('StandardError', await unknown.json());
  });

  it("strict body: an unknown key, a missing prompt, a bad aspect_ratio, a prompt over the model's limit → 400", async () => {
    const unknown = await refusal(
      await edit({ image: red.toString('base64'), style: 'vivid' }),
      400,
      'Invalid request parameters',
    );
    assert.deepEqual((unknown.details as { _errors: string[] })._errors, [
      "Unrecognized key(s) in object: 'style'",
    ]);
    const missing = await refusal(
      await postJson(fixture.rialto, PATH, { image: red.toString('base64') }),
      400,
      'Invalid request parameters',
    );
    assert.deepEqual((missing.details as Record<string, { _errors: string[] }>).prompt?._errors, [
      'Required',
    ]);
    await refusal(
      await edit({ image: red.toString('base64'), aspect_ratio: '5:4' }),
      400,
      'Invalid request parameters',
    );
    // edit-gpt lists no 21:9.
    const unlisted = await refusal(
      await edit({ image: red.toString('base64'), aspect_ratio: '21:9' }),
      400,
      'Invalid request parameters',
    );
    assert.ok(
      JSON.stringify(unlisted.details).includes(
        'Aspect ratio \\"21:9\\" is not offered by model edit-gpt',
      ),
    );
    const long = await refusal(
      await edit({ image: red.toString('base64'), prompt: 'p'.repeat(1001) }),
      400,
      'Invalid request parameters',
    );
    assert.ok(
      (long.details as Record<string, { _errors: string[] }>).prompt?._errors[0]?.includes(
        'at most 1000 (promptCharacterLimit)',
      ),
    );
    await refusal(
      await edit({ image: red.toString('base64'), prompt: 'p'.repeat(32_769) }),
      400,
      'Invalid request parameters',
    );
  });

  it('image limits: under 65,536 pixels 400 IMAGE_TOO_SMALL, over 33,177,600 422 IMAGE_TOO_LARGE, corrupt 400 CORRUPTED_IMAGE', async () => {
    const before = fixture.openai.requests.length;
    await refusal(
      await edit({ image: (await solid([9, 9, 9], 200, 200)).toString('base64') }),
      400,
      'Image dimensions are too small',
    );
    const huge = await sharp({
      create: { width: 6000, height: 5600, channels: 3, background: '#123456' },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await refusal(
      await edit({ image: huge.toString('base64') }),
      422,
      'Image dimensions exceed the maximum allowed.',
    );
    const corrupt = Buffer.concat([red.subarray(0, 64), Buffer.alloc(256, 7)]);
    await refusal(
      await edit({ image: corrupt.toString('base64') }),
      400,
      'The image file is corrupted or unreadable',
    );
    await refusal(
      await edit({ image: 'not an image!' }),
      400,
      'The image file is corrupted or unreadable',
    );
    assert.equal(fixture.openai.requests.length, before);
  });

  it('resolution and quality tiers: 2K is JPEG by default at 2048, billed at quality[2K][low]; the engine gets the quality', async () => {
    const { balance: before } = await ledger(fixture.rialto);
    const response = await edit({
      model: 'edit-tiers',
      image: red.toString('base64'),
      resolution: '2K',
      quality: 'low',
      aspect_ratio: '1:1',
    });
    const image = await ok(response);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 2048, 2048]);
    const sent = fixture.openai.requests.at(-1)!;
    assert.deepEqual([sent.fields!.size, sent.fields!.quality], [['2048x2048'], ['low']]);
    const { balance: after, records } = await ledger(fixture.rialto);
    assert.equal(before - after, toNanos(TIER_2K_LOW));
    assert.equal(records.at(-1)!.modelType, 'inpaint');
    const refused = await refusal(
      await edit({ model: 'edit-tiers', image: red.toString('base64'), resolution: '4K' }),
      400,
      'Invalid request parameters',
    );
    assert.ok(JSON.stringify(refused.details).includes('its resolutions: 1K, 2K'));
  });

  it("singleImageAspectRatio false: aspect_ratio is ignored and the input's kept; DALL·E 2 is asked for its nearest size", async () => {
    const image = await ok(
      await edit({ model: 'edit-dalle', image: red.toString('base64'), aspect_ratio: '16:9' }),
    );
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.width, metadata.height], [1024, 768]);
    const sent = fixture.openai.requests.at(-1)!;
    assert.deepEqual(
      [sent.fields!.model, sent.fields!.size, sent.fields!.response_format],
      [['dall-e-2'], ['1024x1024'], ['b64_json']],
    );
  });

  it('LocalAI: the edit is img2img on /images/generations with the image in `file`', async () => {
    const response = await edit({ model: 'edit-local', image: red.toString('base64') });
    const image = await ok(response);
    assert.deepEqual(await pixel(image, 10, 10), CYAN);
    const sent = fixture.localai.requests.at(-1)!;
    assert.equal(sent.path, '/v1/images/generations');
    assert.equal(sent.json!.file, red.toString('base64'));
    assert.equal(sent.json!.prompt, 'make it cyan');
    assert.equal(typeof sent.json!.seed, 'number');
  });

  it('upstream content policy refusal → 422 CONTENT_POLICY_VIOLATION; nothing charged', async () => {
    const { balance: before } = await ledger(fixture.rialto);
    await refusal(
      await edit({ image: red.toString('base64'), prompt: 'something #forbidden' }),
      422,
      'Your prompt violates the content policy of Venice.ai or the model provider',
    );
    const { balance: after, records } = await ledger(fixture.rialto);
    assert.equal(after, before);
    assert.deepEqual([records.at(-1)!.status, records.at(-1)!.amount], ['failed', 0]);
  });

  it('upstream 500 → 500 IMAGE_EDIT_ERROR, nothing charged; an unreachable upstream → 503 MODEL_OFFLINE', async () => {
    const { balance: before } = await ledger(fixture.rialto);
    fixture.openai.failNext(SERVER_ERROR);
    await refusal(await edit({ image: red.toString('base64') }), 500, 'Image edit failed');
    await refusal(
      await edit({ model: 'edit-down', image: red.toString('base64') }),
      503,
      'The model is temporarily offline. Please try again later.',
    );
    assert.equal((await ledger(fixture.rialto)).balance, before);
    // The failed endpoint is retried on the next request.
    await ok(await edit({ image: red.toString('base64') }));
  });

  it('billing: one edit is charged once at the inpaint price, as a completed inpaint request', async () => {
    const { balance: before, records: earlier } = await ledger(fixture.rialto);
    await ok(await edit({ image: red.toString('base64') }));
    const { balance: after, records } = await ledger(fixture.rialto);
    const added = records.filter((record) => !earlier.some((old) => old.id === record.id));
    assert.equal(added.length, 1);
    assert.deepEqual(
      [added[0]!.modelId, added[0]!.modelType, added[0]!.status, added[0]!.amount],
      ['edit-gpt', 'inpaint', 'completed', toNanos(EDIT_PRICE)],
    );
    assert.equal(before - after, toNanos(EDIT_PRICE));
  });

  it('a client that leaves mid-edit cancels the upstream request and is not charged', async () => {
    const { balance: before } = await ledger(fixture.rialto);
    fixture.openai.hangNext();
    const count = fixture.openai.requests.length;
    const left = new AbortController();
    // A client of its own, destroyed after: no connection of the abandoned request outlives the test.
    const client = new Agent();
    const pending = request(`${fixture.rialto.baseURL}${PATH}`, {
      method: 'POST',
      signal: left.signal,
      dispatcher: client,
      headers: {
        authorization: `Bearer ${fixture.rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'edit-gpt',
        prompt: 'never answered',
        image: red.toString('base64'),
      }),
    }).catch(() => undefined);
    for (let turn = 0; turn < 500 && fixture.openai.requests.length === count; turn += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    left.abort();
    await pending;
    await client.destroy();
    const hung = fixture.openai.requests.at(-1)!;
    let record;
    for (let turn = 0; turn < 500 && (record === undefined || !hung.aborted); turn += 1) {
      record = (await ledger(fixture.rialto)).records.find(
        (item) => item.status === 'client_disconnected',
      );
      if (record === undefined || !hung.aborted)
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(hung.aborted, true);
    assert.ok(record !== undefined);
    assert.equal(record.amount, 0);
    assert.equal((await ledger(fixture.rialto)).balance, before);
  });

  it('GET /models?type=inpaint lists the edit models with their pricing and constraints, as the swagger says', async () => {
    const response = await fetch(`${fixture.rialto.baseURL}/models?type=inpaint`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      data: {
        id: string;
        type: string;
        model_spec: { pricing: Record<string, unknown>; constraints: Record<string, unknown> };
      }[];
    };
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    assert.deepEqual(
      body.data.map((model) => model.id),
      ['edit-gpt', 'edit-tiers', 'edit-dalle', 'edit-local', 'edit-down'],
    );
    const gpt = body.data[0]!.model_spec;
    assert.deepEqual(gpt.pricing, {
      inpaint: { usd: EDIT_PRICE, diem: EDIT_PRICE },
      inputImages: { included: 1, additional: { usd: 0.01, diem: 0.01 } },
    });
    assert.equal(gpt.constraints.maxInputImages, 3);
    assert.equal(body.data[2]!.model_spec.constraints.singleImageAspectRatio, false);
    const traits = (await (
      await fetch(`${fixture.rialto.baseURL}/models/traits?type=inpaint`)
    ).json()) as { data: Record<string, string> };
    assert.equal(traits.data.default, 'edit-gpt');
  });
});
