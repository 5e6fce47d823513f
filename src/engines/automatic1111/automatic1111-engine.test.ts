// The automatic1111 engine against the A1111 test double: img2img edits (one init image, layers composited
// onto the base), health checks, and the parsing of A1111's answers (grid first, extension images after).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { modelConfigSchema } from '../../config.ts';
import {
  colorOf,
  startAutomatic1111Server,
  unusedUrl,
  type Automatic1111Server,
} from '../../../test/support/upstream/automatic1111-server.ts';
import { EngineError } from '../engine-error.ts';
import { createAutomatic1111Engine, type Automatic1111Engine } from './automatic1111-engine.ts';
import { authorizationOf, txt2imgBody, upstreamSeed } from './automatic1111-request.ts';
import { imagesOf } from './automatic1111-response.ts';

function engineFor(url: string, extra: Record<string, unknown> = {}): Automatic1111Engine {
  const model = modelConfigSchema.parse({
    id: 'sd',
    type: 'image',
    engine: { kind: 'automatic1111', endpoints: [{ url }], ...extra },
  });
  if (model.engine.kind !== 'automatic1111') throw new Error('not an automatic1111 config');
  return createAutomatic1111Engine(model.engine, { steps: 12, cfgScale: 5 });
}

const solid = (r: number, g: number, b: number, alpha = 1, size = 64): Promise<Buffer> =>
  sharp({ create: { width: size, height: size, channels: 4, background: { r, g, b, alpha } } })
    .png()
    .toBuffer();

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [data[offset]!, data[offset + 1]!, data[offset + 2]!];
}

describe('automatic1111 engine', () => {
  let a1111: Automatic1111Server;
  let engine: Automatic1111Engine;

  before(async () => {
    a1111 = await startAutomatic1111Server();
    engine = engineFor(a1111.url, { denoisingStrength: 0.25 });
  });
  after(async () => {
    await engine?.close();
    await a1111?.close();
  });

  it("edit: one img2img job with the model's steps and CFG, the configured denoising strength, and the size asked for", async () => {
    const base = await solid(200, 0, 0);
    const result = await engine.edit(
      { model: 'sd', prompt: 'make it blue', images: [base], width: 64, height: 128, seed: 5 },
      { signal: new AbortController().signal },
    );
    const [job] = a1111.jobs('/sdapi/v1/img2img');
    assert.deepEqual(
      [
        job?.steps,
        job?.cfg_scale,
        job?.denoising_strength,
        job?.width,
        job?.height,
        job?.seed,
        job?.batch_size,
      ],
      [12, 5, 0.25, 64, 128, 5, 1],
    );
    assert.equal((job!.init_images as string[]).length, 1);
    assert.ok(
      Buffer.from((job!.init_images as string[])[0]!, 'base64').equals(base),
      'a single image is sent as it is',
    );
    assert.equal(result.images.length, 1);
    assert.equal(result.seed, 5);
    const { width, height } = await sharp(result.images[0]).metadata();
    assert.deepEqual([width, height], [64, 128]);
    // The double veils the init image with the seed's colour at denoising_strength: mostly the red base.
    const [red] = await pixel(result.images[0]!, 2, 2);
    const veil = colorOf(5, 'make it blue');
    assert.ok(Math.abs(red! - (200 * 0.75 + veil.r * 0.25)) <= 2, `red ${red}`);
  });

  it('edit with layers: A1111 takes one init image, so the layers are laid over the base first', async () => {
    a1111.requests.length = 0;
    const base = await solid(255, 0, 0);
    // An opaque green square in the middle of a transparent layer, and a layer of another size (fitted inside).
    const layer = await sharp(await solid(0, 0, 0, 0))
      .composite([{ input: await solid(0, 255, 0, 1, 16), left: 24, top: 24 }])
      .png()
      .toBuffer();
    await engine.edit(
      { model: 'sd', prompt: 'merge', images: [base, layer], width: 64, height: 64, seed: 1 },
      { signal: new AbortController().signal },
    );
    const init = Buffer.from(
      (a1111.jobs('/sdapi/v1/img2img')[0]!.init_images as string[])[0]!,
      'base64',
    );
    assert.deepEqual(await pixel(init, 2, 2), [255, 0, 0]);
    assert.deepEqual(await pixel(init, 32, 32), [0, 255, 0]);
  });

  it('checkHealth: healthy with the checkpoint present; unhealthy when it is missing or the WebUI is down', async () => {
    const signal = new AbortController().signal;
    assert.deepEqual(await engine.checkHealth(signal), {
      healthy: true,
      detail: 'every endpoint answers',
    });
    for (const checkpoint of [
      'sd_xl_base_1.0',
      'sd_xl_base_1.0.safetensors [31e35c80fc]',
      'dreamshaper_8.safetensors',
      '31e35c80fc',
    ]) {
      const named = engineFor(a1111.url, { checkpoint });
      assert.equal((await named.checkHealth(signal)).healthy, true, checkpoint);
      await named.close();
    }
    const missing = engineFor(a1111.url, { checkpoint: 'nope' });
    assert.match((await missing.checkHealth(signal)).detail, /has no checkpoint "nope"/);
    await missing.close();
    const down = engineFor(await unusedUrl());
    const health = await down.checkHealth(signal);
    assert.equal(health.healthy, false);
    assert.match(health.detail, /not reachable/);
    await down.close();
  });

  it('answers: a leading grid is skipped, images after the batch dropped, too few images a failure', () => {
    const info = (firstImage: number) =>
      JSON.stringify({ seed: 9, all_seeds: [9, 10], index_of_first_image: firstImage });
    const encoded = (text: string) => Buffer.from(text).toString('base64');
    const withGrid = imagesOf(
      {
        images: [encoded('grid'), encoded('one'), encoded('two'), encoded('controlnet map')],
        parameters: {},
        info: info(1),
      },
      2,
      'gpu',
    );
    assert.deepEqual(
      withGrid.images.map((image) => image.toString()),
      ['one', 'two'],
    );
    assert.equal(withGrid.seed, 9);
    assert.deepEqual(
      imagesOf(
        { images: [`data:image/png;base64,${encoded('x')}`], info: 'not json' },
        1,
        'gpu',
      ).images.map(String),
      ['x'],
    );
    assert.throws(
      () => imagesOf({ images: [encoded('one')], info: info(0) }, 2, 'gpu'),
      (error: unknown) => error instanceof EngineError && error.failure === 'failed',
    );
    assert.throws(() => imagesOf({ images: null, info: info(0) }, 1, 'gpu'), EngineError);
  });

  it('requests: Basic auth for user:pass, Bearer otherwise; negative seeds above 2^32 - 10^9; no override without a checkpoint', () => {
    assert.deepEqual(authorizationOf('user:pa:ss'), {
      authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    });
    assert.deepEqual(authorizationOf('token'), { authorization: 'Bearer token' });
    assert.deepEqual(authorizationOf(undefined), {});
    assert.deepEqual(
      [upstreamSeed(0), upstreamSeed(999_999_999), upstreamSeed(-1), upstreamSeed(-999_999_999)],
      [0, 999_999_999, 4_294_967_295, 3_294_967_297],
    );
    const model = modelConfigSchema.parse({
      id: 'sd',
      type: 'image',
      engine: { kind: 'automatic1111', endpoints: [{ url: 'http://127.0.0.1:1' }] },
    });
    if (model.engine.kind !== 'automatic1111') throw new Error('not an automatic1111 config');
    const body = txt2imgBody(
      { model: 'sd', prompt: 'p', width: 8, height: 8, count: 2, steps: 3, cfgScale: 4, seed: 1 },
      model.engine,
      'task',
    );
    assert.equal(body.override_settings, undefined);
    assert.deepEqual(
      [body.sampler_name, body.negative_prompt, body.batch_size, body.force_task_id],
      ['Euler a', '', 2, 'task'],
    );
  });
});
