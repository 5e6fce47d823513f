/**
 * The node classes the ComfyUI double executes, named and wired as ComfyUI's own (nodes.py, comfy_extras/
 * nodes_hunyuan.py, nodes_wan.py, nodes_video.py, nodes_audio.py, nodes_ace.py, nodes_qwen.py). Nothing is
 * diffused: a sampler's latent carries what made it (prompt, negative, seed, steps, cfg, denoise, input image), and
 * decoding turns that into real pixels — a flat colour hashed from it, over the input image for an edit — so
 * every output depends on the inputs, and tests can tell one request's result from another's.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

/** What a node may do while it runs. */
export interface NodeRun {
  /** One sampler step: a `progress` event, then `stepMs`; throws when the prompt was interrupted. */
  step(value: number, max: number): Promise<void>;
  /** Writes an output file (to `output`, or `temp`) and returns its /view reference. */
  save(
    bytes: Buffer,
    extension: string,
    prefix: string,
  ): { filename: string; subfolder: string; type: string };
  /** An uploaded input file's bytes (LoadImage's `image`), or undefined. */
  input(name: string): Buffer | undefined;
}

/** A node class: its required inputs (missing ones are node_errors), whether it is an output node, and its run. */
export interface DoubleNode {
  inputs: readonly string[];
  output?: boolean;
  /** A value an input must be one of (COMBO inputs: checked at submit, as validate_inputs does). */
  check?(
    inputs: Record<string, unknown>,
    has: (file: string) => boolean,
  ): { input: string; message: string } | undefined;
  run(inputs: Record<string, unknown>, run: NodeRun): Promise<NodeResult> | NodeResult;
}
export interface NodeResult {
  result?: unknown[];
  ui?: Record<string, unknown>;
}

/** Pixels, RGB, row by row. */
export interface Picture {
  data: Buffer;
  width: number;
  height: number;
}
interface Latent {
  width: number;
  height: number;
  batch: number;
  frames: number;
  seconds: number;
  source?: Picture | undefined;
  recipe: string;
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value ?? '');
const number = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;
const digest = (recipe: string): Buffer => createHash('sha256').update(recipe).digest();
/** The colour a recipe decodes to, one per batch item. */
export const colourOf = (recipe: string, index: number): [number, number, number] => {
  const hash = digest(`${recipe}#${index}`);
  return [hash[0]!, hash[1]!, hash[2]!];
};

function latent(width: unknown, height: unknown, extra: Partial<Latent> = {}): Latent {
  return {
    width: number(width, 1024),
    height: number(height, 1024),
    batch: 1,
    frames: 1,
    seconds: 0,
    recipe: '',
    ...extra,
  };
}

/** Decodes a latent: flat colour pictures, or the source picture tinted by it (half and half); video: `frames` each. */
function decode(samples: Latent): Picture[] {
  const pictures = Array.from({ length: Math.min(samples.batch, 16) }, (_, index) => {
    const [r, g, b] = colourOf(samples.recipe, index);
    const { width, height } = samples.source ?? samples;
    const data = Buffer.alloc(width * height * 3);
    for (let offset = 0; offset < data.length; offset += 3) {
      const base = samples.source?.data;
      data[offset] = base === undefined ? r : (base[offset]! + r) >> 1;
      data[offset + 1] = base === undefined ? g : (base[offset + 1]! + g) >> 1;
      data[offset + 2] = base === undefined ? b : (base[offset + 2]! + b) >> 1;
    }
    return { data, width, height };
  });
  // A video's frames are its item's picture again and again (one buffer, however long the clip).
  const frames = Math.min(samples.frames, 10_000);
  return frames === 1
    ? pictures
    : pictures.flatMap((picture) => Array.from({ length: frames }, () => picture));
}

const png = (picture: Picture): Promise<Buffer> =>
  sharp(picture.data, { raw: { width: picture.width, height: picture.height, channels: 3 } })
    .png()
    .toBuffer();

/** Runs ffmpeg into a file (so containers get their index and duration written) and returns its bytes. */
async function ffmpeg(args: string[], extension: string): Promise<Buffer> {
  const folder = await mkdtemp(join(tmpdir(), 'comfyui-double-'));
  const file = join(folder, `out.${extension}`);
  try {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
    return await readFile(file);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const loader = (count: number): DoubleNode => ({
  inputs: [],
  run: (inputs) => ({
    result: Array.from({ length: count }, () => ({ model: text(Object.values(inputs)[0]) })),
  }),
});
const encoder: DoubleNode = {
  inputs: ['clip', 'text'],
  run: (inputs) => ({ result: [{ text: text(inputs.text) }] }),
};

/** Runs `steps` sampler steps and returns the latent with its recipe. */
async function sample(inputs: Record<string, unknown>, node: NodeRun): Promise<NodeResult> {
  const steps = number(inputs.steps, 20);
  for (let value = 1; value <= steps; value += 1) await node.step(value, steps);
  const source = inputs.latent_image as Latent;
  const recipe = JSON.stringify([
    source.recipe,
    inputs.positive,
    inputs.negative,
    inputs.seed ?? inputs.noise_seed,
    steps,
    inputs.cfg,
    inputs.denoise,
  ]);
  return { result: [{ ...source, recipe }] };
}

export const BUILT_IN_NODES: Record<string, DoubleNode> = {
  CheckpointLoaderSimple: {
    inputs: ['ckpt_name'],
    check: (inputs) =>
      text(inputs.ckpt_name).endsWith('.safetensors')
        ? undefined
        : { input: 'ckpt_name', message: 'Value not in list' },
    run: (inputs) => ({
      result: [{ model: inputs.ckpt_name }, { clip: inputs.ckpt_name }, { vae: inputs.ckpt_name }],
    }),
  },
  UNETLoader: loader(1),
  CLIPLoader: loader(1),
  DualCLIPLoader: loader(1),
  VAELoader: loader(1),
  ModelSamplingAuraFlow: {
    inputs: ['model', 'shift'],
    run: (inputs) => ({ result: [inputs.model] }),
  },
  CFGNorm: { inputs: ['model', 'strength'], run: (inputs) => ({ result: [inputs.model] }) },
  ImageScaleToTotalPixels: {
    inputs: ['image', 'upscale_method', 'megapixels'],
    async run(inputs) {
      const [picture] = inputs.image as Picture[];
      const scale = Math.sqrt(
        (number(inputs.megapixels, 1) * 1024 * 1024) / (picture!.width * picture!.height),
      );
      const width = Math.max(1, Math.round(picture!.width * scale));
      const height = Math.max(1, Math.round(picture!.height * scale));
      const data = await sharp(picture!.data, {
        raw: { width: picture!.width, height: picture!.height, channels: 3 },
      })
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer();
      return { result: [[{ data, width, height }]] };
    },
  },
  CLIPTextEncode: encoder,
  TextEncodeQwenImageEdit: {
    inputs: ['clip', 'prompt'],
    run: (inputs) => ({
      result: [{ text: text(inputs.prompt), image: inputs.image !== undefined }],
    }),
  },
  TextEncodeQwenImageEditPlus: {
    inputs: ['clip', 'prompt'],
    run: (inputs) => ({
      result: [
        {
          text: text(inputs.prompt),
          images: ['image1', 'image2', 'image3'].filter((key) => inputs[key] !== undefined).length,
        },
      ],
    }),
  },
  EmptyLatentImage: {
    inputs: ['width', 'height', 'batch_size'],
    run: (inputs) => ({
      result: [latent(inputs.width, inputs.height, { batch: number(inputs.batch_size, 1) })],
    }),
  },
  EmptySD3LatentImage: {
    inputs: ['width', 'height', 'batch_size'],
    run: (inputs) => ({
      result: [latent(inputs.width, inputs.height, { batch: number(inputs.batch_size, 1) })],
    }),
  },
  KSampler: {
    inputs: [
      'model',
      'seed',
      'steps',
      'cfg',
      'sampler_name',
      'scheduler',
      'positive',
      'negative',
      'latent_image',
      'denoise',
    ],
    run: sample,
  },
  LoadImage: {
    inputs: ['image'],
    check: (inputs, has) =>
      has(text(inputs.image)) ? undefined : { input: 'image', message: 'Invalid image file' },
    async run(inputs, node) {
      const bytes = node.input(text(inputs.image));
      if (bytes === undefined) throw new Error(`Invalid image file: ${text(inputs.image)}`);
      const { data, info } = await sharp(bytes)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { result: [[{ data, width: info.width, height: info.height }], null] };
    },
  },
  ImageScale: {
    inputs: ['image', 'upscale_method', 'width', 'height', 'crop'],
    async run(inputs) {
      const [picture] = inputs.image as Picture[];
      const width = number(inputs.width, picture!.width);
      const height = number(inputs.height, picture!.height);
      const data = await sharp(picture!.data, {
        raw: { width: picture!.width, height: picture!.height, channels: 3 },
      })
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer();
      return { result: [[{ data, width, height }]] };
    },
  },
  VAEEncode: {
    inputs: ['pixels', 'vae'],
    run: (inputs) => {
      const [source] = inputs.pixels as Picture[];
      return {
        result: [
          latent(source!.width, source!.height, {
            source,
            recipe: digest(source!.data.toString('base64')).toString('hex'),
          }),
        ],
      };
    },
  },
  VAEDecode: {
    inputs: ['samples', 'vae'],
    run: (inputs) => ({ result: [decode(inputs.samples as Latent)] }),
  },
  SaveImage: {
    inputs: ['images', 'filename_prefix'],
    output: true,
    async run(inputs, node) {
      const images = [];
      for (const picture of inputs.images as Picture[])
        images.push(node.save(await png(picture), 'png', text(inputs.filename_prefix)));
      return { ui: { images } };
    },
  },
  // Video (comfy_extras/nodes_hunyuan.py, nodes_wan.py, nodes_video.py): frames are `length`, fps from CreateVideo.
  EmptyHunyuanLatentVideo: {
    inputs: ['width', 'height', 'length', 'batch_size'],
    run: (inputs) => ({
      result: [latent(inputs.width, inputs.height, { frames: number(inputs.length, 25) })],
    }),
  },
  WanImageToVideo: {
    inputs: ['positive', 'negative', 'vae', 'width', 'height', 'length', 'batch_size'],
    run: (inputs) => ({
      result: [
        inputs.positive,
        inputs.negative,
        latent(inputs.width, inputs.height, {
          frames: number(inputs.length, 81),
          recipe: JSON.stringify(inputs.start_image ?? null).slice(0, 64),
        }),
      ],
    }),
  },
  CreateVideo: {
    inputs: ['images', 'fps'],
    run: (inputs) => ({
      result: [{ frames: inputs.images as Picture[], fps: number(inputs.fps, 24) }],
    }),
  },
  SaveVideo: {
    inputs: ['video', 'filename_prefix', 'format', 'codec'],
    output: true,
    async run(inputs, node) {
      const video = inputs.video as { frames: Picture[]; fps: number };
      const first = video.frames[0]!;
      const [r, g, b] = [first.data[0]!, first.data[1]!, first.data[2]!];
      const colour = ((r << 16) | (g << 8) | b).toString(16).padStart(6, '0');
      const seconds = video.frames.length / video.fps;
      const bytes = await ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          `color=c=0x${colour}:s=${first.width}x${first.height}:r=${video.fps}:d=${seconds}`,
          '-c:v',
          'libx264',
          '-pix_fmt',
          'yuv420p',
          '-f',
          'mp4',
        ],
        'mp4',
      );
      return {
        ui: { images: [node.save(bytes, 'mp4', text(inputs.filename_prefix))], animated: [true] },
      };
    },
  },
  // Audio (comfy_extras/nodes_ace.py, nodes_audio.py): a sine whose pitch comes from the recipe, `seconds` long.
  EmptyAceStepLatentAudio: {
    inputs: ['seconds', 'batch_size'],
    run: (inputs) => ({ result: [latent(0, 0, { seconds: number(inputs.seconds, 120) })] }),
  },
  TextEncodeAceStepAudio: {
    inputs: ['clip', 'tags', 'lyrics'],
    run: (inputs) => ({ result: [{ tags: text(inputs.tags), lyrics: text(inputs.lyrics) }] }),
  },
  VAEDecodeAudio: {
    inputs: ['samples', 'vae'],
    run: (inputs) => {
      const samples = inputs.samples as Latent;
      return {
        result: [{ seconds: samples.seconds, pitch: 200 + digest(samples.recipe)[0]! * 4 }],
      };
    },
  },
  SaveAudio: audioSaver('flac', ['-c:a', 'flac', '-f', 'flac']),
  SaveAudioMP3: audioSaver('mp3', ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3']),
  // Stable Audio Open (comfy_extras/nodes_audio.py: EmptyLatentAudio, ConditioningStableAudio).
  EmptyLatentAudio: {
    inputs: ['seconds', 'batch_size'],
    run: (inputs) => ({ result: [latent(0, 0, { seconds: number(inputs.seconds, 47.6) })] }),
  },
  ConditioningStableAudio: {
    inputs: ['positive', 'negative', 'seconds_start', 'seconds_total'],
    run: (inputs) => {
      const timing = { seconds_start: inputs.seconds_start, seconds_total: inputs.seconds_total };
      return {
        result: [
          { ...(inputs.positive as object), ...timing },
          { ...(inputs.negative as object), ...timing },
        ],
      };
    },
  },
  // Wan 2.1 image-to-video's CLIP vision pair (nodes.py CLIPVisionLoader, CLIPVisionEncode).
  CLIPVisionLoader: loader(1),
  CLIPVisionEncode: {
    inputs: ['clip_vision', 'image', 'crop'],
    run: (inputs) => {
      const [picture] = inputs.image as Picture[];
      return { result: [{ image: digest(picture!.data.toString('base64')).toString('hex') }] };
    },
  },
  // Video in (comfy_extras/nodes_video.py): LoadVideo's `file` is a file in the input folder (an upload), as
  // LoadImage's `image`; GetVideoComponents gives its frames, audio and frame rate. The file is really read:
  // ffprobe gives its size, frame rate and frame count, ffmpeg its first frame (every frame is that picture, one
  // buffer), so what is made from it lasts as long as it and starts from its pixels.
  LoadVideo: {
    inputs: ['file'],
    check: (inputs, has) =>
      has(text(inputs.file)) ? undefined : { input: 'file', message: 'Invalid video file' },
    run(inputs, node) {
      const bytes = node.input(text(inputs.file));
      if (bytes === undefined) throw new Error(`Invalid video file: ${text(inputs.file)}`);
      return { result: [{ file: bytes }] };
    },
  },
  GetVideoComponents: {
    inputs: ['video'],
    async run(inputs) {
      const { frames, fps } = await framesOf((inputs.video as { file: Buffer }).file);
      return { result: [frames, null, fps] };
    },
  },
  // nodes_upscale_model.py has the model upscalers; ImageScaleBy (nodes.py) resamples by a factor.
  ImageScaleBy: {
    inputs: ['image', 'upscale_method', 'scale_by'],
    async run(inputs) {
      const scale = number(inputs.scale_by, 1);
      if (!(scale > 0 && scale <= 8)) throw new Error(`scale_by ${scale} out of range`);
      // Frames sharing one picture are resized once.
      const done = new Map<Picture, Picture>();
      const result: Picture[] = [];
      for (const picture of inputs.image as Picture[]) {
        let scaled = done.get(picture);
        if (scaled === undefined) {
          const width = Math.max(1, Math.round(picture.width * scale));
          const height = Math.max(1, Math.round(picture.height * scale));
          const data = await sharp(picture.data, {
            raw: { width: picture.width, height: picture.height, channels: 3 },
          })
            .resize(width, height, { fit: 'fill' })
            .raw()
            .toBuffer();
          scaled = { data, width, height };
          done.set(picture, scaled);
        }
        result.push(scaled);
      }
      return { result: [result] };
    },
  },
};

const MAX_VIDEO_FRAMES = 10_000;
const MAX_VIDEO_PIXELS = 4096 * 4096;

/** A video file's frames (its first picture, once per frame) and frame rate, read by ffprobe and ffmpeg. */
async function framesOf(bytes: Buffer): Promise<{ frames: Picture[]; fps: number }> {
  const folder = await mkdtemp(join(tmpdir(), 'comfyui-double-in-'));
  const file = join(folder, 'in');
  try {
    await writeFile(file, bytes);
    const probe = await run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-count_packets',
      '-show_entries',
      'stream=width,height,r_frame_rate,nb_read_packets',
      '-of',
      'json',
      file,
    ]);
    const stream = (JSON.parse(probe.stdout) as { streams?: Record<string, unknown>[] })
      .streams?.[0];
    if (stream === undefined) throw new Error('no video stream');
    const width = number(stream.width, 0);
    const height = number(stream.height, 0);
    const [top, bottom] = String(stream.r_frame_rate).split('/').map(Number);
    const fps = (top ?? 0) / (bottom || 1);
    const count = Number(stream.nb_read_packets);
    if (width < 1 || height < 1 || width * height > MAX_VIDEO_PIXELS || !(fps > 0))
      throw new Error('unreadable video');
    if (!(count >= 1 && count <= MAX_VIDEO_FRAMES)) throw new Error('too many frames');
    const first = await run(
      'ffmpeg',
      ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { encoding: 'buffer', maxBuffer: width * height * 3 + 1024 },
    );
    const picture = { data: first.stdout, width, height };
    return { frames: Array.from({ length: count }, () => picture), fps };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function audioSaver(extension: string, codec: string[]): DoubleNode {
  return {
    inputs: ['audio', 'filename_prefix'],
    output: true,
    async run(inputs, node) {
      const audio = inputs.audio as { seconds: number; pitch: number };
      const bytes = await ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=${audio.pitch}:sample_rate=44100:duration=${audio.seconds}`,
          ...codec,
        ],
        extension,
      );
      return { ui: { audio: [node.save(bytes, extension, text(inputs.filename_prefix))] } };
    },
  };
}
