import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../engine-error.ts';
import { quietInputArgs } from '../media/pcm-decode.ts';
import { startProcess, withTimeLimit } from '../media/start-process.ts';

/** Pocket TTS's rate (offline-tts-pocket-impl.h SampleRate()); references are kept at it, so none is resampled. */
export const REFERENCE_SAMPLE_RATE = 24_000;
/** Pocket reads the first max_reference_audio_len (default 10) seconds of a reference; no more is kept. */
export const MAX_REFERENCE_SECONDS = 10;
/** A decode of one sample (at most 10 MB, 10 s kept) that runs longer than this is stuck. */
const DECODE_TIMEOUT_SECONDS = 60;
/** The names services/voices gives cloned voices: nothing else is ever a file name here. */
const CLONED_NAME = /^rialto-[0-9a-f-]{36}$/;

/** A reference sample: mono float32 at REFERENCE_SAMPLE_RATE. */
export type ReferenceSamples = Float32Array;

/**
 * Decodes the file `input` (any container ffmpeg reads) to its first MAX_REFERENCE_SECONDS as mono float32 at
 * REFERENCE_SAMPLE_RATE. Rejects with EngineError 'bad_request' when ffmpeg cannot decode it or it holds no audio.
 */
export async function decodeReference(
  ffmpeg: string,
  input: string,
  signal: AbortSignal,
): Promise<ReferenceSamples> {
  const args = [
    ...quietInputArgs(input),
    ...['-vn', '-ac', '1', '-ar', String(REFERENCE_SAMPLE_RATE)],
    ...['-t', String(MAX_REFERENCE_SECONDS), '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1'],
  ];
  const running = startProcess(
    ffmpeg,
    args,
    withTimeLimit(signal, DECODE_TIMEOUT_SECONDS, 'Decoding the voice sample'),
  );
  running.child.stdin.end();
  const chunks: Buffer[] = [];
  running.child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await running.exit;
  signal.throwIfAborted();
  // ffmpeg's words name the upload's path in the data folder: not for the client.
  if (code !== 0)
    throw new EngineError('bad_request', 'The voice sample could not be decoded as audio.');
  const bytes = Buffer.concat(chunks);
  const count = Math.floor(bytes.length / 4);
  if (count === 0) throw new EngineError('bad_request', 'The voice sample holds no audio.');
  // A copy, aligned for Float32Array whatever offset Buffer.concat gave.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 4));
}

/**
 * The reference samples of a zero-shot model: its own (the `.wav` files of the model folder's test_wavs/, as
 * sherpa-onnx's Pocket TTS archives ship them, by file name) and the cloned ones, each a file `<name>.f32` of raw
 * float32 little-endian samples in `directory` (<dataDirectory>/voices), readable by the server's user only.
 */
export class ReferenceVoices {
  constructor(
    private readonly ffmpeg: string,
    private readonly directory: string,
    private readonly own: ReadonlyMap<string, ReferenceSamples>,
  ) {}

  /** The samples of `voice`: one of the model's own or a cloned one; EngineError 'bad_request' for any other. */
  async samplesOf(voice: string): Promise<ReferenceSamples> {
    const own = this.own.get(voice);
    if (own !== undefined) return own;
    const missing = new EngineError('bad_request', `Voice ${voice} is not available`);
    if (!CLONED_NAME.test(voice)) throw missing;
    const bytes = await readFile(this.fileOf(voice)).catch(() => undefined);
    if (bytes === undefined) throw missing;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }

  /**
   * Decodes `sample` and keeps it as `name`. The upload is written beside (ffmpeg reads a file: an MP4's index may
   * follow its data) and removed whatever happens; the kept file appears whole or not at all.
   */
  async add(name: string, sample: Buffer, extension: string, signal: AbortSignal): Promise<void> {
    if (!CLONED_NAME.test(name)) throw new Error(`not a cloned voice name: ${name}`);
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const upload = path.join(this.directory, `.${randomUUID()}.${extension}`);
    const partial = `${this.fileOf(name)}.${randomUUID()}.tmp`;
    try {
      await writeFile(upload, sample, { mode: 0o600 });
      const samples = await decodeReference(this.ffmpeg, upload, signal);
      await writeFile(partial, new Uint8Array(samples.buffer), { mode: 0o600 });
      await rename(partial, this.fileOf(name));
    } finally {
      await rm(upload, { force: true });
      await rm(partial, { force: true });
    }
  }

  /** Removes the cloned voice's file; one already gone is not an error. */
  async delete(name: string): Promise<void> {
    if (CLONED_NAME.test(name)) await rm(this.fileOf(name), { force: true });
  }

  private fileOf(name: string): string {
    return path.join(this.directory, `${name}.f32`);
  }
}

/** The `.wav` files of `<folder>/test_wavs`, decoded, by name without the extension; none when there is no such folder. */
export async function ownReferences(
  ffmpeg: string,
  folder: string,
  signal: AbortSignal,
): Promise<Map<string, ReferenceSamples>> {
  const wavs = path.join(folder, 'test_wavs');
  const found = new Map<string, ReferenceSamples>();
  if (!existsSync(wavs)) return found;
  const names = readdirSync(wavs)
    .filter((entry) => entry.endsWith('.wav'))
    .sort();
  for (const entry of names)
    found.set(
      entry.slice(0, -'.wav'.length),
      await decodeReference(ffmpeg, path.join(wavs, entry), signal),
    );
  return found;
}
