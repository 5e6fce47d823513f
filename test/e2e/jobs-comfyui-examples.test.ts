// rialto-test: sqlite-only
// The ComfyUI examples for video upscaling, image-to-video and sound effects (examples/comfyui/
// rialto-video-music.yaml, issue #18), run against the ComfyUI double (a real HTTP + WebSocket server on 127.0.0.1
// that executes the workflows: LoadVideo really reads the uploaded MP4 with ffprobe/ffmpeg). Venice's documented
// examples are sent unchanged but for the media, which are data URLs (the engine fetches nothing for a client):
// video-upscaling.mdx (video_url + upscale_factor; retrieve and complete with only queue_id), video-generation.mdx's
// image-to-video example, music-and-sound-effects.mdx's sound effect. Every body is checked against the swagger and
// the media by ffprobe: an upscale is upscale_factor × the input's size and lasts as long as the input.
// The subject is the workflows and the double, not the ledger (jobs-comfyui.test.ts checks the books).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { parse } from 'yaml';
import { type ComfyUiDouble, startComfyUiDouble } from '../support/comfyui-double.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { post, retrieveUntilDone, until } from './jobs-support.ts';

const run = promisify(execFile);
const EXAMPLES = new URL('../../examples/comfyui/', import.meta.url);
const folder = mkdtempSync(join(tmpdir(), 'rialto-comfyui-examples-'));

interface ExampleModel {
  id: string;
  engine: { workflow: string; endpoints: { url: string }[] } & Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The example models, each under the id Venice's guide uses (so its examples go unchanged), on the double, with
 * their workflows copied lighter: fewer sampler steps and the image-to-video one at 4 fps (fewer frames to paint).
 */
function exampleModels(url: string): Record<string, unknown>[] {
  const config = parse(readFileSync(new URL('rialto-video-music.yaml', EXAMPLES), 'utf8')) as {
    models: ExampleModel[];
  };
  const ids: Record<string, string> = {
    'comfyui-video-upscale': 'topaz-video-upscale',
    'wan-2.1-image-to-video': 'wan-2.5-preview-image-to-video',
    'stable-audio-open': 'elevenlabs-sound-effects-v2',
  };
  return config.models
    .filter((model) => ids[model.id] !== undefined)
    .map((model) => {
      const workflow = JSON.parse(
        readFileSync(
          new URL(model.engine.workflow.replace('examples/comfyui/', ''), EXAMPLES),
          'utf8',
        ),
      ) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      for (const node of Object.values(workflow)) {
        if (node.class_type === 'KSampler') node.inputs.steps = 4;
        if (node.class_type === 'CreateVideo' && typeof node.inputs.fps === 'number')
          node.inputs.fps = 4;
      }
      const file = join(folder, `${model.id}.json`);
      writeFileSync(file, JSON.stringify(workflow));
      return {
        ...model,
        id: ids[model.id],
        engine: { ...model.engine, workflow: file, endpoints: [{ url }] },
      };
    });
}

/** Size and duration of a media file, by ffprobe. */
async function probe(
  bytes: Buffer,
): Promise<{ width?: number; height?: number; duration: number }> {
  const file = join(folder, `probe-${Date.now()}-${Math.random()}`);
  writeFileSync(file, bytes);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=width,height:format=duration',
    '-of',
    'json',
    file,
  ]);
  rmSync(file);
  const info = JSON.parse(stdout) as {
    streams: { width?: number; height?: number }[];
    format: { duration: string };
  };
  return { ...info.streams[0], duration: Number(info.format.duration) };
}

/** An H.264 MP4 test pattern of this size and length, as a data URL. */
async function mp4DataUrl(width: number, height: number, seconds: number): Promise<string> {
  const file = join(folder, `input-${width}x${height}-${seconds}.mp4`);
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc=size=${width}x${height}:rate=8:duration=${seconds}`],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', file],
  ]);
  return `data:video/mp4;base64,${readFileSync(file).toString('base64')}`;
}

describe('the ComfyUI examples: video upscaling, image-to-video, sound effects (ComfyUI double)', () => {
  let double: ComfyUiDouble;
  let rialto: TestRialto;

  before(async () => {
    double = await startComfyUiDouble();
    rialto = await startRialto(
      { jobs: { pollIntervalMs: 50 }, models: exampleModels(double.url) },
      { balanceUsd: 100 },
    );
  });
  after(async () => {
    await rialto?.close();
    await double?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The workflow ComfyUI was sent for a job. */
  async function sentFor(
    queueId: string,
  ): Promise<Record<string, { inputs: Record<string, unknown> }>> {
    const engineJobId = await until('the job to reach ComfyUI', async () => {
      const found = await rialto.store.jobs.find(queueId);
      return found?.engineJobId ?? undefined;
    });
    const { prompt_id } = JSON.parse(engineJobId) as { prompt_id: string };
    return double.submitted.find((prompt) => prompt.promptId === prompt_id)!.prompt as Record<
      string,
      { inputs: Record<string, unknown> }
    >;
  }

  /** queue (checked), then retrieve until the media (checked), then complete (checked); the media's bytes. */
  async function runJob(
    kind: 'video' | 'audio',
    body: Record<string, unknown>,
    ids: (answer: { model: string; queue_id: string }) => Record<string, unknown>,
    contentType: string,
  ): Promise<{
    queueId: string;
    bytes: Buffer;
    sent: Record<string, { inputs: Record<string, unknown> }>;
  }> {
    const queued = await post(rialto, `/${kind}/queue`, body);
    assert.equal(queued.status, 200, await queued.clone().text());
    const answer = (await queued.json()) as { model: string; queue_id: string };
    validateResponse({ method: 'POST', path: `/${kind}/queue`, status: 200, body: answer });
    assert.equal(answer.model, body.model);
    const sent = await sentFor(answer.queue_id);
    const media = await retrieveUntilDone(rialto, `/${kind}/retrieve`, ids(answer));
    assert.equal(media.status, 200, await media.clone().text());
    assert.equal(media.headers.get('content-type'), contentType);
    const bytes = Buffer.from(await media.arrayBuffer());
    validateResponse({
      method: 'POST',
      path: `/${kind}/retrieve`,
      status: 200,
      contentType,
      body: bytes,
    });
    const completed: unknown = await (await post(rialto, `/${kind}/complete`, ids(answer))).json();
    validateResponse({ method: 'POST', path: `/${kind}/complete`, status: 200, body: completed });
    assert.deepEqual(completed, { success: true });
    return { queueId: answer.queue_id, bytes, sent };
  }

  it('video-upscaling.mdx: video_url and upscale_factor; the MP4 is factor × the input and lasts as long', async () => {
    for (const [width, height, seconds, factor] of [
      [64, 36, 3, 2],
      [48, 32, 1.5, 4],
    ] as const) {
      const { bytes, sent } = await runJob(
        'video',
        {
          model: 'topaz-video-upscale',
          video_url: await mp4DataUrl(width, height, seconds),
          upscale_factor: factor,
        },
        (answer) => ({ queue_id: answer.queue_id }),
        'video/mp4',
      );
      const file = sent['1']!.inputs.file as string;
      assert.match(file, /^rialto-[0-9a-f-]{36}\.mp4$/);
      assert.ok(double.uploads.includes(file));
      assert.equal(sent['3']!.inputs.scale_by, factor);
      const made = await probe(bytes);
      assert.deepEqual([made.width, made.height], [width * factor, height * factor]);
      assert.ok(Math.abs(made.duration - seconds) < 0.2, `${made.duration} s for ${seconds} s in`);
    }
  });

  it('a video_url whose bytes are no video: LoadVideo cannot read it, retrieve answers the 500 failure, no ComfyUI detail', async () => {
    const queued = await post(rialto, '/video/queue', {
      model: 'topaz-video-upscale',
      video_url: `data:video/mp4;base64,${Buffer.from('not a video at all').toString('base64')}`,
      upscale_factor: 2,
    });
    assert.equal(queued.status, 200, await queued.clone().text());
    const { queue_id } = (await queued.json()) as { queue_id: string };
    const failed = await retrieveUntilDone(rialto, '/video/retrieve', { queue_id });
    assert.equal(failed.status, 500);
    const body: unknown = await failed.json();
    validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
    assert.deepEqual(body, {
      error: 'The ComfyUI workflow failed; nothing was generated. Credits have been refunded.',
      credits_refunded: true,
    });
  });

  it("video-generation.mdx's image-to-video example (image_url a JPEG data URL): the image into LoadImage, the MP4 out", async () => {
    const jpeg = await sharp({
      create: { width: 64, height: 36, channels: 3, background: { r: 30, g: 120, b: 200 } },
    })
      .jpeg()
      .toBuffer();
    const example = {
      model: 'wan-2.5-preview-image-to-video',
      prompt: 'Camera slowly zooms in as leaves rustle in the wind',
      image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      duration: '5s',
    };
    const { bytes, sent } = await runJob(
      'video',
      example,
      (answer) => ({ model: answer.model, queue_id: answer.queue_id }),
      'video/mp4',
    );
    assert.equal(sent['6']!.inputs.text, example.prompt);
    const image = sent['52']!.inputs.image as string;
    assert.match(image, /^rialto-[0-9a-f-]{36}\.jpg$/);
    assert.ok(double.uploads.includes(image));
    // 480p 16:9 (the model's first listed), 5 s at the workflow's 4 fps: 21 frames.
    assert.deepEqual(
      [sent['50']!.inputs.width, sent['50']!.inputs.height, sent['50']!.inputs.length],
      [848, 480, 21],
    );
    const made = await probe(bytes);
    assert.deepEqual([made.width, made.height], [848, 480]);
    assert.ok(Math.abs(made.duration - 21 / 4) < 0.2, `${made.duration} s`);
  });

  it("music-and-sound-effects.mdx's sound effect on Stable Audio Open: duration into latent and conditioning, an MP3 that long", async () => {
    const example = {
      model: 'elevenlabs-sound-effects-v2',
      prompt: 'Ocean waves rolling onto a pebble beach at night',
      duration_seconds: 10,
    };
    const { bytes, sent } = await runJob(
      'audio',
      example,
      (answer) => ({ model: answer.model, queue_id: answer.queue_id }),
      'audio/mpeg',
    );
    assert.equal(sent['6']!.inputs.text, example.prompt);
    assert.deepEqual([sent['11']!.inputs.seconds, sent['12']!.inputs.seconds_total], [10, 10]);
    const made = await probe(bytes);
    assert.ok(Math.abs(made.duration - 10) < 0.2, `${made.duration} s`);
  });
});
