// POST /image/multi-edit through Rialto to the OpenAI-images double: JSON (base64, data URL, http URL) and
// multipart (files only), every layer reaching the upstream, the model's image limit, strictness of each
// form, and billing of extra input images.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { toNanos } from '../../src/services/billing/money.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  EDIT_PRICE,
  EXTRA_IMAGE_PRICE,
  ledger,
  pixel,
  postForm,
  postJson,
  solid,
  startEditFixture,
  type EditFixture,
} from './image-edit-support.ts';

const PATH = '/image/multi-edit';

describe('POST /image/multi-edit', () => {
  let fixture: EditFixture;
  let red: Buffer;
  let blue: Buffer;
  let white: Buffer;
  before(async () => {
    fixture = await startEditFixture();
    [red, blue, white] = await Promise.all([
      solid([255, 0, 0]),
      solid([0, 0, 255]),
      solid([255, 255, 255]),
    ]);
  });
  after(async () => fixture?.close());

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
  const invalid = async (response: Response): Promise<Record<string, unknown>> => {
    assert.equal(response.status, 400, await response.clone().text());
    const body = (await response.json()) as Record<string, unknown>;
    validateResponse({ method: 'POST', path: PATH, status: 400, body });
    assert.equal(body.error, 'Invalid request parameters');
    return body;
  };
  const form = (images: Buffer[], fields: Record<string, string> = {}): FormData => {
    const data = new FormData();
    for (const [index, image] of images.entries())
      data.append('images', new Blob([image], { type: 'image/png' }), `layer-${index}.png`);
    for (const [name, value] of Object.entries({
      prompt: 'blend the layers',
      modelId: 'edit-gpt',
      ...fields,
    }))
      data.append(name, value);
    return data;
  };

  it('JSON: a base64 image and an http URL are both sent upstream as image[] files; the result is made from both', async () => {
    fixture.images.set('blue.png', { bytes: blue, contentType: 'image/png' });
    const response = await postJson(fixture.rialto, PATH, {
      modelId: 'edit-gpt',
      prompt: 'blend',
      images: [red.toString('base64'), `${fixture.imageOrigin}/blue.png`],
    });
    const image = await ok(response);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.equal(response.headers.get('x-venice-is-content-violation'), 'false');
    // The double negates the mean of its inputs: red and blue average to (128, 0, 128).
    assert.deepEqual(await pixel(image, 20, 20), [127, 255, 127]);
    const sent = fixture.openai.requests.at(-1)!;
    assert.deepEqual(
      sent.files!.map((file) => file.field),
      ['image[]', 'image[]'],
    );
    assert.ok(sent.files![0]!.bytes.equals(red));
    assert.ok(sent.files![1]!.bytes.equals(blue));
    assert.deepEqual(sent.fields!.prompt, ['blend']);
  });

  it('multipart: three files; charged once: the edit plus two extra input images', async () => {
    const { balance: before, records: earlier } = await ledger(fixture.rialto);
    const response = await postForm(
      fixture.rialto,
      PATH,
      form([red, blue, white], {
        output_format: 'webp',
        aspect_ratio: '1:1',
        unknown_field: 'ignored',
      }),
    );
    const image = await ok(response);
    assert.equal(response.headers.get('content-type'), 'image/webp');
    const metadata = await sharp(image).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['webp', 1024, 1024]);
    assert.equal(fixture.openai.requests.at(-1)!.files!.length, 3);
    const { balance: after, records } = await ledger(fixture.rialto);
    const added = records.filter((record) => !earlier.some((old) => old.id === record.id));
    const price = toNanos(EDIT_PRICE + 2 * EXTRA_IMAGE_PRICE);
    assert.deepEqual(
      added.map((record) => [record.modelId, record.modelType, record.status, record.amount]),
      [['edit-gpt', 'inpaint', 'completed', price]],
    );
    assert.equal(before - after, price);
  });

  it('one image is a valid multi-edit (a single file part)', async () => {
    const image = await ok(await postForm(fixture.rialto, PATH, form([red])));
    assert.deepEqual(await pixel(image, 5, 5), [0, 255, 255]);
    assert.deepEqual(
      fixture.openai.requests.at(-1)!.files!.map((file) => file.field),
      ['image'],
    );
  });

  it('more images than the model takes → 400 and nothing sent upstream (3 for edit-gpt, 1 with combineImages false)', async () => {
    const before = fixture.openai.requests.length;
    const tooMany = await invalid(
      await postJson(fixture.rialto, PATH, {
        modelId: 'edit-gpt',
        prompt: 'x',
        images: [red, blue, white, red].map((image) => image.toString('base64')),
      }),
    );
    assert.deepEqual(tooMany.details, {
      _errors: [],
      images: {
        _errors: ['Model edit-gpt takes at most 3 input image(s) (maxInputImages); 4 were sent'],
      },
    });
    await invalid(await postForm(fixture.rialto, PATH, form([red, blue, white, red])));
    await invalid(
      await postJson(fixture.rialto, PATH, {
        modelId: 'edit-dalle',
        prompt: 'x',
        images: [red, blue].map((image) => image.toString('base64')),
      }),
    );
    assert.equal(fixture.openai.requests.length, before);
  });

  it('JSON is strict (`model` is not a field here; `modelId` is); multipart takes files only; images are required', async () => {
    const strict = await invalid(
      await postJson(fixture.rialto, PATH, {
        model: 'edit-gpt',
        prompt: 'x',
        images: [red.toString('base64')],
      }),
    );
    assert.deepEqual((strict.details as { _errors: string[] })._errors, [
      "Unrecognized key(s) in object: 'model'",
    ]);
    const strings = new FormData();
    strings.append('images', red.toString('base64'));
    strings.append('prompt', 'x');
    const filesOnly = await invalid(await postForm(fixture.rialto, PATH, strings));
    assert.ok(
      JSON.stringify(filesOnly.details).includes(
        'multipart/form-data takes images as file uploads only',
      ),
    );
    await invalid(await postJson(fixture.rialto, PATH, { prompt: 'x', images: [] }));
    const missing = await invalid(await postJson(fixture.rialto, PATH, { prompt: 'x' }));
    assert.deepEqual((missing.details as Record<string, { _errors: string[] }>).images?._errors, [
      'Required',
    ]);
  });

  it('a data URL layer, the LocalAI dialect: the base in `file`, the layers in `ref_images`', async () => {
    const response = await postJson(fixture.rialto, PATH, {
      modelId: 'edit-local',
      prompt: 'add snow',
      images: [red.toString('base64'), `data:image/png;base64,${white.toString('base64')}`],
    });
    const image = await ok(response);
    assert.deepEqual(await pixel(image, 5, 5), [0, 127, 127]);
    const sent = fixture.localai.requests.at(-1)!;
    assert.equal(sent.json!.file, red.toString('base64'));
    assert.deepEqual(sent.json!.ref_images, [white.toString('base64')]);
  });
});
