// `rialto pull` of a sherpa-onnx model published as a .tar.bz2 (k2-fsa/sherpa-onnx releases: tts-models,
// asr-models): the archive is downloaded as any pull (resumable, sha256 when known) into the models folder, unpacked
// safely into `<models>/<archive name without .tar.bz2>`, then the folder is matched against the sherpa-onnx families'
// default files (FAMILY_FILES) and the model entry to add to rialto.yaml is built.
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  SHERPA_ONNX_ASR_FAMILIES,
  SHERPA_ONNX_TTS_FAMILIES,
  type SherpaOnnxEngineConfig,
  sherpaOnnxEngine,
} from '../config/engine-config.ts';
import { resolveFiles } from '../engines/sherpa-onnx/sherpa-onnx-files.ts';
import { type PullModelOptions, pullModel } from './model-puller.ts';
import { parseModelSource } from './model-source.ts';
import { UnsafeArchiveError, unpackTarBz2 } from './unpack-tar-bz2.ts';

const ARCHIVE_SUFFIX = '.tar.bz2';

/** Whether `rialto pull <source>` names a .tar.bz2 archive. */
export function isTarBz2Source(source: string): boolean {
  return parseModelSource(source).fileName.toLowerCase().endsWith(ARCHIVE_SUFFIX);
}

type Family = SherpaOnnxEngineConfig['family'];

export interface SherpaOnnxFolderMatch {
  family: Family;
  type: 'tts' | 'asr';
}

// Most specific first: a Parakeet folder also has Whisper's encoder/decoder/tokens, a Kokoro folder VITS's one
// model and tokens.txt; sense-voice and moonshine have no defaults to match (their entries name the files).
const DETECTION_ORDER: readonly Family[] = [
  'pocket',
  'matcha',
  'kokoro',
  'nemo-transducer',
  'whisper',
  'vits',
];

/** The sherpa-onnx family whose required files (FAMILY_FILES' defaults) are all in `folder`, if one. */
export function matchSherpaOnnxFolder(folder: string): SherpaOnnxFolderMatch | undefined {
  for (const family of DETECTION_ORDER) {
    const config = sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family, path: folder });
    try {
      resolveFiles(config, '/');
    } catch {
      continue;
    }
    const type = (SHERPA_ONNX_TTS_FAMILIES as readonly string[]).includes(family) ? 'tts' : 'asr';
    return { family, type };
  }
  return undefined;
}

/** The rialto.yaml entry for a pulled folder (path relative to the models folder, as the engine resolves it). */
export function sherpaOnnxModelEntry(
  folderName: string,
  match: SherpaOnnxFolderMatch,
  vad?: string,
): string {
  const lines = [
    'models:',
    `  - id: ${folderName}`,
    `    type: ${match.type}`,
    '    engine:',
    '      kind: sherpa-onnx',
    `      family: ${match.family}`,
    `      path: ${folderName}`,
  ];
  if (vad !== undefined) lines.push('      files:', `        vad: ${vad}`);
  return `${lines.join('\n')}\n`;
}

export interface SherpaOnnxPullResult {
  folder: string;
  /** false when the folder was already there (nothing downloaded). */
  unpacked: boolean;
  files: number;
  bytes: number;
  match: SherpaOnnxFolderMatch | undefined;
  /** The rialto.yaml entry to add; undefined when the folder matches no family. */
  entry: string | undefined;
}

export interface SherpaOnnxPullOptions extends PullModelOptions {
  maxUnpackedBytes?: number;
  maxEntries?: number;
}

export async function pullSherpaOnnxArchive(
  options: SherpaOnnxPullOptions,
): Promise<SherpaOnnxPullResult> {
  const { fileName } = parseModelSource(options.source);
  const folderName = fileName.slice(0, -ARCHIVE_SUFFIX.length);
  if (folderName === '' || folderName.startsWith('.'))
    throw new Error(`Refusing archive "${fileName}": it needs a name before ${ARCHIVE_SUFFIX}`);
  const folder = join(options.modelsDirectory, folderName);
  let unpacked = false;
  let files = 0;
  let bytes = 0;
  if (await stat(folder).catch(() => null)) {
    // Only a complete unpack is ever renamed to this name: it is the earlier pull's result.
  } else {
    const archive = await pullModel(options);
    try {
      const result = await unpackTarBz2({
        archive: archive.path,
        destination: folder,
        ...(options.maxUnpackedBytes === undefined ? {} : { maxBytes: options.maxUnpackedBytes }),
        ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      files = result.files;
      bytes = result.bytes;
      unpacked = true;
    } catch (error) {
      // After a failure of this machine (disk full, permissions: an fs error code) or an interruption the archive
      // is kept, so the next pull unpacks it without downloading it again. A refused or undecodable archive is
      // deleted: pulling it again would only fail again.
      const cause =
        error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
      if (options.signal?.aborted || /^E[A-Z]+$/.test(cause?.code ?? '')) throw error;
      await rm(archive.path, { force: true });
      if (error instanceof UnsafeArchiveError) {
        throw new Error(
          `Refusing ${fileName}: ${error.message}; the archive was deleted and nothing was unpacked`,
        );
      }
      throw new Error(`${(error as Error).message}; the archive was deleted`, { cause: error });
    }
    await rm(archive.path, { force: true });
  }
  return {
    folder,
    unpacked,
    files,
    bytes,
    ...sherpaOnnxFolderEntry(folder, options.modelsDirectory),
  };
}

/** The family of a folder in the models folder and the rialto.yaml entry for it (undefined when none matches). */
export function sherpaOnnxFolderEntry(
  folder: string,
  modelsDirectory: string,
): { match: SherpaOnnxFolderMatch | undefined; entry: string | undefined } {
  const match = matchSherpaOnnxFolder(folder);
  // Silero VAD pulled beside the folders (rialto pull .../silero_vad.onnx) serves every asr folder without one.
  const sharedVad =
    match?.type === 'asr' &&
    !existsSync(join(folder, 'silero_vad.onnx')) &&
    existsSync(join(modelsDirectory, 'silero_vad.onnx'))
      ? '../silero_vad.onnx'
      : undefined;
  return {
    match,
    entry:
      match === undefined ? undefined : sherpaOnnxModelEntry(basename(folder), match, sharedVad),
  };
}

/** What the CLI prints after a pull of a single sherpa-onnx file (silero_vad.onnx). */
export function sherpaOnnxFileNote(path: string): string | undefined {
  if (basename(path) !== 'silero_vad.onnx') return undefined;
  return `Silero VAD for sherpa-onnx asr models: copy it into a model's folder, or set engine.files.vad: ../silero_vad.onnx (${SHERPA_ONNX_ASR_FAMILIES.filter((family) => family === 'whisper' || family === 'nemo-transducer').join(', ')} read it).\n`;
}
