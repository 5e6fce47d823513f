import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PocketsphinxEngineConfig } from '../../config.ts';
import type {
  EngineCall,
  TranscriptionEngine,
  TranscriptionRequest,
  TranscriptionResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { parsePocketsphinxOutput } from './pocketsphinx-output.ts';
import { decodeToPcm, firstLine, recognitionSignal } from '../media/pcm-decode.ts';
import { runProcess } from '../media/run-process.ts';
import { Semaphore } from '../semaphore.ts';
import { findExecutable } from '../../runtime/find-executable.ts';

// Debian 12 (bookworm) ships pocketsphinx 0.8+5prealpha: the `pocketsphinx_continuous` binary, and the
// US English model of pocketsphinx-en-us under /usr/share/pocketsphinx/model/en-us.
const DEBIAN_MODEL = '/usr/share/pocketsphinx/model/en-us';
const INSTALL_HINT = 'install it with: apt-get install -y pocketsphinx pocketsphinx-en-us ffmpeg';
/** Below this peak (about -54 dBFS) 16-bit audio is taken as silence and not recognised at all. */
const SILENCE_PEAK = 64;

interface Paths {
  recogniser: string;
  ffmpeg: string;
  acousticModel: string;
  languageModel: string;
  dictionary: string;
}

/** What is missing of the engine's binaries and model files; empty when it can run. */
function missingOf(paths: Paths): string[] {
  return [
    ...(findExecutable(paths.recogniser) === undefined
      ? [`the recogniser '${paths.recogniser}'`]
      : []),
    ...(findExecutable(paths.ffmpeg) === undefined ? [`'${paths.ffmpeg}'`] : []),
    ...(existsSync(join(paths.acousticModel, 'mdef'))
      ? []
      : [`the acoustic model ${paths.acousticModel}`]),
    ...(existsSync(paths.languageModel) ? [] : [`the language model ${paths.languageModel}`]),
    ...(existsSync(paths.dictionary) ? [] : [`the dictionary ${paths.dictionary}`]),
  ];
}

/** The highest absolute sample of 16-bit little-endian PCM, read until it passes the silence threshold. */
async function peakOf(path: string): Promise<number> {
  let peak = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
    if (!Buffer.isBuffer(chunk)) continue;
    for (let offset = 0; offset + 1 < chunk.length; offset += 2)
      peak = Math.max(peak, Math.abs(chunk.readInt16LE(offset)));
    if (peak >= SILENCE_PEAK) break;
  }
  return peak;
}

type DecodeLimits = NonNullable<TranscriptionRequest['decodeLimits']>;

/**
 * Decodes any container ffmpeg reads to 16 kHz mono 16-bit PCM (decodeToPcm), then rejects silence; returns its
 * length in seconds.
 */
async function decode(
  paths: Paths,
  input: string,
  output: string,
  signal: AbortSignal,
  limits: DecodeLimits | undefined,
): Promise<number> {
  const seconds = await decodeToPcm(paths.ffmpeg, input, output, limits, signal);
  if ((await peakOf(output)) < SILENCE_PEAK)
    throw new EngineError('bad_request', 'The audio is silent.');
  return seconds;
}

async function recognise(
  paths: Paths,
  raw: string,
  signal: AbortSignal,
): Promise<ReturnType<typeof parsePocketsphinxOutput>> {
  // A `.raw` infile is read as headerless PCM at -samprate (16 kHz by default).
  const args = [
    '-infile',
    raw,
    '-hmm',
    paths.acousticModel,
    '-lm',
    paths.languageModel,
    '-dict',
    paths.dictionary,
    '-time',
    'yes',
    '-logfn',
    '/dev/null',
  ];
  const recognised = await runProcess(paths.recogniser, args, signal);
  if (recognised.code !== 0)
    throw new EngineError(
      'failed',
      `${paths.recogniser} exited with ${String(recognised.code)}: ${firstLine(recognised.stderr)}`,
    );
  const parsed = parsePocketsphinxOutput(recognised.stdout);
  if (parsed.words.length === 0)
    throw new EngineError('bad_request', 'No speech was recognised in the audio.');
  return parsed;
}

/**
 * Speech to text with CMU pocketsphinx, one child process per request: ffmpeg decodes the upload, then
 * the recogniser runs with word timings (`-time yes`). At most `concurrency` requests decode or
 * recognise at once, the rest wait; an aborted call kills its children. English only: `language` is
 * ignored (swagger: "Ignored by models that do not support language hints").
 * Throws EngineError 'offline' when a binary or model file is missing.
 */
export async function createPocketsphinxEngine(
  config: PocketsphinxEngineConfig,
): Promise<TranscriptionEngine> {
  const paths: Paths = {
    recogniser: config.command ?? 'pocketsphinx_continuous',
    ffmpeg: config.ffmpeg,
    acousticModel: config.acousticModel ?? join(DEBIAN_MODEL, 'en-us'),
    languageModel: config.languageModel ?? join(DEBIAN_MODEL, 'en-us.lm.bin'),
    dictionary: config.dictionary ?? join(DEBIAN_MODEL, 'cmudict-en-us.dict'),
  };
  const missing = missingOf(paths);
  if (missing.length > 0)
    throw new EngineError(
      'offline',
      `pocketsphinx engine: ${missing.join(', ')} not found; ${INSTALL_HINT}`,
    );
  const slots = new Semaphore(config.concurrency);
  const closing = new AbortController();

  async function transcribe(
    request: TranscriptionRequest,
    call: EngineCall,
  ): Promise<TranscriptionResult> {
    if (closing.signal.aborted) throw new EngineError('offline', 'pocketsphinx engine is closed');
    const signal = AbortSignal.any([call.signal, closing.signal]);
    const release = await slots.acquire(signal);
    const folder = await mkdtemp(join(tmpdir(), 'rialto-asr-'));
    try {
      call.servedBy = 'pocketsphinx';
      const input = join(folder, 'input');
      const raw = join(folder, 'audio.raw');
      await writeFile(input, request.audio);
      const limits = request.decodeLimits;
      const duration = await decode(paths, input, raw, signal, limits);
      await request.beforeRecognition?.(duration);
      // Recognition runs at a fraction of real time: twice the audio's length is ample, a stuck recogniser is killed.
      const recognising = recognitionSignal(signal, limits, duration, 2);
      const { words, segments } = await recognise(paths, raw, recognising);
      const text = segments.map((segment) => segment.text).join(' ');
      return request.timestamps ? { text, duration, words, segments } : { text, duration };
    } finally {
      release();
      await rm(folder, { recursive: true, force: true });
    }
  }

  return {
    kind: 'pocketsphinx',
    modality: 'transcription',
    transcribe,
    checkHealth: async () => {
      const absent = missingOf(paths);
      return absent.length === 0
        ? { healthy: true, detail: `${paths.recogniser} with ${paths.acousticModel}` }
        : { healthy: false, detail: `missing: ${absent.join(', ')}` };
    },
    close: async () => {
      closing.abort(new EngineError('offline', 'pocketsphinx engine is closed'));
    },
  };
}
