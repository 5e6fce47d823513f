// The ComfyUI double's video and audio nodes (what #18's job engines run against): a Wan-style text-to-video
// workflow saves a real MP4 of `length / fps` seconds at the latent's size, an ACE-Step-style one a real MP3 and
// FLAC of `seconds`; both reached through the protocol client, as the engines reach them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type ApiWorkflow, ComfyUiClient } from '../../src/engines/comfyui/comfyui-client.ts';
import { outputFile } from '../../src/engines/comfyui/comfyui-wire.ts';
import { type ComfyUiDouble, startComfyUiDouble } from './comfyui-double.ts';

const run = promisify(execFile);
const loaders = {
  '1': {
    class_type: 'UNETLoader',
    inputs: { unet_name: 'model.safetensors', weight_dtype: 'default' },
  },
  '2': { class_type: 'CLIPLoader', inputs: { clip_name: 'clip.safetensors', type: 'wan' } },
  '3': { class_type: 'VAELoader', inputs: { vae_name: 'vae.safetensors' } },
  '4': { class_type: 'CLIPTextEncode', inputs: { clip: ['2', 0], text: 'a gondola' } },
  '5': { class_type: 'CLIPTextEncode', inputs: { clip: ['2', 0], text: '' } },
};
const sampler = (latent: string) => ({
  class_type: 'KSampler',
  inputs: {
    model: ['1', 0],
    positive: ['4', 0],
    negative: ['5', 0],
    latent_image: [latent, 0],
    seed: 3,
    steps: 2,
    cfg: 5,
    sampler_name: 'euler',
    scheduler: 'simple',
    denoise: 1,
  },
});
const VIDEO: ApiWorkflow = {
  ...loaders,
  '6': {
    class_type: 'EmptyHunyuanLatentVideo',
    inputs: { width: 160, height: 96, length: 30, batch_size: 1 },
  },
  '7': sampler('6'),
  '8': { class_type: 'VAEDecode', inputs: { samples: ['7', 0], vae: ['3', 0] } },
  '9': { class_type: 'CreateVideo', inputs: { images: ['8', 0], fps: 15 } },
  '10': {
    class_type: 'SaveVideo',
    inputs: { video: ['9', 0], filename_prefix: 'video/rialto', format: 'mp4', codec: 'h264' },
  },
};
const AUDIO: ApiWorkflow = {
  ...loaders,
  '6': { class_type: 'EmptyAceStepLatentAudio', inputs: { seconds: 3, batch_size: 1 } },
  '7': sampler('6'),
  '8': { class_type: 'VAEDecodeAudio', inputs: { samples: ['7', 0], vae: ['3', 0] } },
  '9': {
    class_type: 'SaveAudioMP3',
    inputs: { audio: ['8', 0], filename_prefix: 'audio/rialto', quality: 'V0' },
  },
  '10': { class_type: 'SaveAudio', inputs: { audio: ['8', 0], filename_prefix: 'audio/rialto' } },
};

/** ffprobe's format name, duration and first stream's size of the bytes. */
async function probe(
  bytes: Buffer,
): Promise<{ format: string; duration: number; width?: number; height?: number }> {
  const file = join(tmpdir(), `rialto-double-${process.pid}-${bytes.length}`);
  writeFileSync(file, bytes);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  const info = JSON.parse(stdout) as {
    format: { format_name: string; duration: string };
    streams: { width?: number; height?: number }[];
  };
  return {
    format: info.format.format_name,
    duration: Number(info.format.duration),
    ...(info.streams[0]?.width === undefined
      ? {}
      : { width: info.streams[0].width, height: info.streams[0].height! }),
  };
}

describe('ComfyUI double: video and audio', () => {
  let double: ComfyUiDouble;
  let client: ComfyUiClient;
  const call = () => ({ signal: AbortSignal.timeout(30_000) });
  const outputsOf = async (workflow: ApiWorkflow) => {
    const queued = await client.submit(async () => workflow, call(), 'double-test');
    const outputs = await client.wait(queued, 'double-test', call(), {
      deadline: Date.now() + 30_000,
    });
    return { queued, outputs };
  };
  before(async () => {
    double = await startComfyUiDouble();
    client = new ComfyUiClient(
      { endpoints: [{ url: double.url, weight: 1 }], timeoutMs: 30_000, maxConnections: 2 },
      50,
    );
  });
  after(async () => {
    await client.close();
    await double.close();
  });

  it('SaveVideo: an MP4 of length / fps seconds at the requested size', async () => {
    const { queued, outputs } = await outputsOf(VIDEO);
    assert.deepEqual((outputs['10'] as { animated: unknown }).animated, [true]);
    const [file] = outputFile.array().parse((outputs['10'] as { images: unknown }).images);
    const video = await probe(await client.view(queued.endpoint, file!, call()));
    assert.match(video.format, /mp4/);
    assert.deepEqual([video.width, video.height], [160, 96]);
    assert.ok(Math.abs(video.duration - 2) < 0.2, `duration ${video.duration}`);
  });

  it('SaveAudioMP3 and SaveAudio: MP3 and FLAC of `seconds`', async () => {
    const { queued, outputs } = await outputsOf(AUDIO);
    for (const [node, format] of [
      ['9', 'mp3'],
      ['10', 'flac'],
    ] as const) {
      const [file] = outputFile.array().parse((outputs[node] as { audio: unknown }).audio);
      const audio = await probe(await client.view(queued.endpoint, file!, call()));
      assert.equal(audio.format, format);
      assert.ok(Math.abs(audio.duration - 3) < 0.2, `${format} duration ${audio.duration}`);
    }
  });
});
