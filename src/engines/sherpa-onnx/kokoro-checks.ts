import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileRole } from './sherpa-onnx-files.ts';

/** tokens.txt of Kokoro is ~1 KB; one past this is not a tokens file. */
const MAX_TOKENS_BYTES = 1 << 20;

function integer(metadata: ReadonlyMap<string, string>, key: string, file: string): number {
  const value = Number(metadata.get(key));
  if (!Number.isInteger(value)) throw new Error(`kokoro: ${file} has no integer metadata '${key}'`);
  return value;
}

/** tokens.txt lines as sherpa-onnx's ReadTokens and KokoroMultiLangLexicon::InitTokens accept them. */
async function checkTokens(file: string): Promise<void> {
  if ((await stat(file)).size > MAX_TOKENS_BYTES)
    throw new Error(`kokoro: ${file} is larger than ${MAX_TOKENS_BYTES} bytes`);
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines.forEach((line, index) => {
    const fields = line.trim().split(/\s+/);
    // One field is the space token's id (its symbol trimmed away); two are the symbol and its id.
    const symbol = fields.length === 1 ? ' ' : (fields[0] ?? '');
    if (line.trim() === '') return;
    if (fields.length > 2 || !/^-?\d+$/.test(fields.at(-1) ?? '') || [...symbol].length !== 1)
      throw new Error(`kokoro: ${file} line ${index + 1} is not "<one symbol> <id>"`);
  });
}

/**
 * Checks what sherpa-onnx's Kokoro loader would end the whole process over (SHERPA_ONNX_EXIT in
 * offline-tts-kokoro-model.cc, offline-tts-kokoro-impl.h, kokoro-multi-lang-lexicon.cc, symbol-table.cc): missing
 * metadata, a style_dim that is not "L,1,D", a voices.bin of another size than n_speakers × L × D floats, a
 * multi-lingual model (version ≥ 2) with neither lexicon nor lang, a malformed tokens.txt, an espeak-ng-data
 * folder espeak-ng cannot start from. Throws an Error saying which, so the model fails to load instead.
 */
export async function checkKokoro(
  files: Partial<Record<FileRole, string>>,
  metadata: ReadonlyMap<string, string>,
  language: string | undefined,
): Promise<void> {
  const model = files.model ?? 'model.onnx';
  for (const key of ['sample_rate', 'n_speakers', 'has_espeak']) integer(metadata, key, model);
  const speakers = integer(metadata, 'n_speakers', model);
  const styleDim = (metadata.get('style_dim') ?? '').split(',').map(Number);
  const [rows, one, width] = styleDim;
  if (styleDim.length !== 3 || one !== 1 || !styleDim.every((n) => Number.isInteger(n) && n > 0))
    throw new Error(`kokoro: ${model} metadata style_dim is not "L,1,D"`);
  if (files.voices === undefined) throw new Error('kokoro: no voices file');
  const expected = 4 * speakers * (rows ?? 0) * (width ?? 0);
  const actual = (await stat(files.voices)).size;
  if (actual !== expected)
    throw new Error(
      `kokoro: ${files.voices} has ${actual} bytes; ${speakers} speakers × style_dim ${styleDim.join('×')} need ${expected}`,
    );
  const version = Number(metadata.get('version') ?? '1');
  if (version >= 2 && files.lexicon === undefined && language === undefined)
    throw new Error(
      'kokoro: a multi-lingual model (version ≥ 2) needs lexicon files or engine.language',
    );
  if (files.tokens === undefined) throw new Error('kokoro: no tokens file');
  await checkTokens(files.tokens);
  if (files.dataDir === undefined || !existsSync(path.join(files.dataDir, 'phontab')))
    throw new Error(
      `kokoro: no espeak-ng-data folder (with phontab) at ${files.dataDir ?? '(none)'}`,
    );
}
