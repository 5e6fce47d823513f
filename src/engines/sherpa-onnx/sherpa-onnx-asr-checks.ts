import { open, readFile, stat } from 'node:fs/promises';
import { readOnnxMetadata } from './onnx-metadata.ts';

// sherpa-onnx ends the whole process (SHERPA_ONNX_EXIT) on a model whose metadata, tokens or input names are
// not what it expects, and on a Whisper language the model lacks. These checks read what sherpa-onnx would and
// throw an Error first, so a wrong file fails the model's load (or a request), never the server.

/** tokens.txt is read whole (Whisper's is 800 KB). */
const MAX_TOKENS_BYTES = 16 << 20;

const INTEGER = /^-?\d+$/;

function requireIntegers(file: string, metadata: Map<string, string>, keys: string[]): void {
  for (const key of keys) {
    const value = metadata.get(key);
    if (value === undefined || !INTEGER.test(value.trim()))
      throw new Error(
        `${file}: metadata '${key}' is ${value === undefined ? 'missing' : `'${value}', not an integer`}`,
      );
  }
}

function integerList(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((part) => Number.parseInt(part.trim(), 10));
}

export interface WhisperModelFacts {
  multilingual: boolean;
  /** The languages a multilingual model knows (ISO 639-1 codes as Whisper spells them). */
  languages: Set<string>;
}

/** The Whisper encoder's metadata as sherpa-onnx's OfflineWhisperModel reads it. */
export async function checkWhisperModel(encoder: string): Promise<WhisperModelFacts> {
  const metadata = await readOnnxMetadata(encoder);
  requireIntegers(encoder, metadata, [
    'n_mels',
    'n_text_layer',
    'n_text_ctx',
    'n_text_state',
    'n_vocab',
    'sot',
    'eot',
    'blank_id',
    'translate',
    'transcribe',
    'is_multilingual',
    'no_timestamps',
    'no_speech',
  ]);
  const sotSequence = integerList(metadata.get('sot_sequence'));
  if (sotSequence.length === 0 || sotSequence.some(Number.isNaN))
    throw new Error(`${encoder}: metadata 'sot_sequence' is missing or not a list of integers`);
  const multilingual = Number(metadata.get('is_multilingual')) !== 0;
  if (!multilingual) return { multilingual, languages: new Set() };
  const tokens = integerList(metadata.get('all_language_tokens'));
  const codes = (metadata.get('all_language_codes') ?? '')
    .split(',')
    .map((code) => code.trim())
    .filter((code) => code !== '');
  if (tokens.length === 0 || tokens.some(Number.isNaN) || tokens.length !== codes.length)
    throw new Error(
      `${encoder}: a multilingual model needs as many all_language_tokens as all_language_codes (${tokens.length}, ${codes.length})`,
    );
  if (sotSequence.length < 3)
    throw new Error(`${encoder}: a multilingual model's sot_sequence has sot, language and task`);
  return { multilingual, languages: new Set(codes) };
}

export interface TransducerModelFacts {
  vocabSize: number;
  tdt: boolean;
}

/** tokens.txt: "<symbol> <id>" a line; the ids. */
async function tokenLines(file: string): Promise<{ symbol: string; id: number }[]> {
  const { size } = await stat(file);
  if (size > MAX_TOKENS_BYTES) throw new Error(`${file}: ${size} bytes, more than a tokens file`);
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  return lines.map((line) => {
    const parts = line.trim().split(/\s+/);
    const id = Number(parts.at(-1));
    return { symbol: parts.length === 1 ? ' ' : parts.slice(0, -1).join(' '), id };
  });
}

/** The NeMo transducer (Parakeet) files as OfflineTransducerNeMoModel and its recognizer check them. */
export async function checkNemoTransducerModel(files: {
  encoder: string;
  decoder: string;
  joiner: string;
  tokens: string;
}): Promise<TransducerModelFacts> {
  const metadata = await readOnnxMetadata(files.encoder);
  requireIntegers(files.encoder, metadata, [
    'vocab_size',
    'subsampling_factor',
    'pred_rnn_layers',
    'pred_hidden',
  ]);
  const vocabSize = Number(metadata.get('vocab_size')) + 1;
  const tdt = (metadata.get('url') ?? '').includes('tdt');
  const tokens = await tokenLines(files.tokens);
  const blank = tokens.find((token) => token.symbol === '<blk>');
  if (blank === undefined) throw new Error(`${files.tokens}: no blank token <blk>`);
  if (blank.id !== vocabSize - 1) throw new Error(`${files.tokens}: <blk> is not the last token`);
  if (tokens.length !== vocabSize)
    throw new Error(`${files.tokens}: ${tokens.length} tokens, the encoder says ${vocabSize}`);
  await requireInterface(files.encoder, 'NeMo transducer encoder', 2, 2);
  // targets, target length, and the LSTM's two states; out: output, length, the two states.
  await requireInterface(files.decoder, 'NeMo transducer decoder', 4, 4);
  const joiner = await graphInterface(files.joiner);
  if (joiner.inputs.length !== 2)
    throw new Error(`${files.joiner}: a joiner has 2 inputs, this one ${joiner.inputs.length}`);
  const outputSize = joiner.outputs[0]?.dims.at(-1);
  if (outputSize === undefined || outputSize <= 0)
    throw new Error(`${files.joiner}: the joiner's output has no fixed last dimension`);
  if (tdt ? outputSize <= vocabSize : outputSize !== vocabSize)
    throw new Error(
      `${files.joiner}: the joiner gives ${outputSize} scores for ${vocabSize} tokens (${tdt ? 'a TDT model adds durations' : 'not a TDT model'})`,
    );
  return { vocabSize, tdt };
}

/** Silero VAD v4 or v5, as SileroVadModel checks its inputs and outputs. */
export async function checkSileroVad(file: string): Promise<void> {
  const { inputs, outputs } = await graphInterface(file);
  const names = (list: { name: string }[]): string => list.map((entry) => entry.name).join(',');
  const known = [
    ['input,state,sr', 'output,stateN'],
    ['input,sr,h,c', 'output,hn,cn'],
    ['x,h,c', 'prob,new_h,new_c'],
  ];
  if (!known.some(([input, output]) => names(inputs) === input && names(outputs) === output))
    throw new Error(
      `${file}: not a Silero VAD (inputs ${names(inputs)}, outputs ${names(outputs)})`,
    );
}

interface ValueInfo {
  name: string;
  /** Fixed sizes; -1 for a symbolic or absent one. */
  dims: number[];
}

function varint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  for (let index = 0; index < 10; index += 1) {
    if (offset + index >= bytes.length) break;
    const byte = bytes[offset + index] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * index);
    if (byte < 0x80) return { value, next: offset + index + 1 };
  }
  throw new Error('not an ONNX model (a varint runs past the end)');
}

/** Each field of a protobuf message: its number, and its bytes (wire type 2) or value (wire type 0). */
function* fields(
  bytes: Uint8Array,
): Generator<{ field: number; bytes?: Uint8Array; value?: number }> {
  let offset = 0;
  while (offset < bytes.length) {
    const tag = varint(bytes, offset);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === 0) {
      const read = varint(bytes, tag.next);
      offset = read.next;
      yield { field, value: read.value };
    } else if (wire === 2) {
      const length = varint(bytes, tag.next);
      const end = length.next + length.value;
      if (end > bytes.length) throw new Error('not an ONNX model (a field runs past the end)');
      yield { field, bytes: bytes.subarray(length.next, end) };
      offset = end;
    } else if (wire === 1) offset = tag.next + 8;
    else if (wire === 5) offset = tag.next + 4;
    else throw new Error(`not an ONNX model (wire type ${wire})`);
  }
}

/** ValueInfoProto: name = 1, type = 2 (TypeProto: tensor_type = 1 → shape = 2 → dim = 1 → dim_value = 1). */
function valueInfoOf(bytes: Uint8Array): ValueInfo {
  let name = '';
  const dims: number[] = [];
  for (const entry of fields(bytes)) {
    if (entry.field === 1 && entry.bytes) name = Buffer.from(entry.bytes).toString('utf8');
    if (entry.field !== 2 || !entry.bytes) continue;
    for (const tensor of fields(entry.bytes)) {
      if (tensor.field !== 1 || !tensor.bytes) continue;
      for (const shape of fields(tensor.bytes)) {
        if (shape.field !== 2 || !shape.bytes) continue;
        for (const dim of fields(shape.bytes)) {
          if (dim.field !== 1 || !dim.bytes) continue;
          let size = -1;
          for (const part of fields(dim.bytes)) if (part.field === 1) size = part.value ?? -1;
          dims.push(size);
        }
      }
    }
  }
  return { name, dims };
}

/** Caps on walking a graph from disk: fields read, and the bytes of one input's or output's description. */
const MAX_GRAPH_FIELDS = 2_000_000;
const MAX_VALUE_INFO_BYTES = 1 << 20;

/**
 * A model's graph inputs and outputs (ModelProto: graph = 7; GraphProto: initializer = 5, input = 11,
 * output = 12), read from disk field by field: only the field headers and the inputs' and outputs' descriptions
 * are read, the weights are skipped, so a 600 MB encoder costs a few thousand small reads.
 */
export async function graphInterface(
  file: string,
): Promise<{ inputs: ValueInfo[]; outputs: ValueInfo[] }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(20);
    let reads = 0;
    /** The field at `position`: its number, wire type, where its payload starts and its length. */
    const header = async (position: number, end: number) => {
      reads += 1;
      if (reads > MAX_GRAPH_FIELDS) throw new Error(`more than ${MAX_GRAPH_FIELDS} fields`);
      const { bytesRead } = await handle.read(head, 0, head.length, position);
      const bytes = head.subarray(0, Math.min(bytesRead, end - position));
      const tag = varint(bytes, 0);
      const wire = tag.value % 8;
      let start = position + tag.next;
      let length: number;
      if (wire === 0) length = varint(bytes, tag.next).next - tag.next;
      else if (wire === 1) length = 8;
      else if (wire === 5) length = 4;
      else if (wire === 2) {
        const read = varint(bytes, tag.next);
        start = position + read.next;
        length = read.value;
      } else throw new Error(`not an ONNX model (wire type ${wire} at byte ${position})`);
      if (start + length > end)
        throw new Error(`not an ONNX model (a field runs past its end at byte ${position})`);
      return { field: Math.floor(tag.value / 8), wire, start, length };
    };
    const inputs: ValueInfo[] = [];
    const outputs: ValueInfo[] = [];
    const initializers = new Set<string>();
    let graphs = 0;
    for (let position = 0; position < size; ) {
      const model = await header(position, size);
      position = model.start + model.length;
      if (model.field !== 7 || model.wire !== 2) continue;
      graphs += 1;
      const graphEnd = model.start + model.length;
      for (let at = model.start; at < graphEnd; ) {
        const entry = await header(at, graphEnd);
        at = entry.start + entry.length;
        if (entry.wire !== 2) continue;
        if (entry.field === 11 || entry.field === 12) {
          if (entry.length > MAX_VALUE_INFO_BYTES)
            throw new Error(`an input or output described in ${entry.length} bytes`);
          const bytes = new Uint8Array(entry.length);
          await handle.read(bytes, 0, entry.length, entry.start);
          (entry.field === 11 ? inputs : outputs).push(valueInfoOf(bytes));
        } else if (entry.field === 5) {
          // An initializer's name (TensorProto: name = 8) is read, its data skipped.
          for (let inner = entry.start; inner < at; ) {
            const part = await header(inner, at);
            inner = part.start + part.length;
            if (part.field === 8 && part.wire === 2 && part.length <= 4096) {
              const name = new Uint8Array(part.length);
              await handle.read(name, 0, part.length, part.start);
              initializers.add(Buffer.from(name).toString('utf8'));
            }
          }
        }
      }
    }
    if (graphs !== 1) throw new Error('not an ONNX model (no graph)');
    // Older exports list initializers among the inputs; onnxruntime (and sherpa-onnx) does not count them.
    return { inputs: inputs.filter((input) => !initializers.has(input.name)), outputs };
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** `file` has `inputs` inputs and at least `outputs` outputs (sherpa-onnx indexes them by position). */
async function requireInterface(
  file: string,
  role: string,
  inputs: number,
  outputs: number,
): Promise<void> {
  const graph = await graphInterface(file);
  if (graph.inputs.length !== inputs || graph.outputs.length < outputs)
    throw new Error(
      `${file}: a ${role} has ${inputs} inputs and ${outputs} outputs, this one ${graph.inputs.length} and ${graph.outputs.length}`,
    );
}

/** Whisper's encoder (mel → cross k, v) and decoder (tokens, self k, v, cross k, v, offset → logits, self k, v). */
export async function checkWhisperGraphs(files: {
  encoder: string;
  decoder: string;
}): Promise<void> {
  await requireInterface(files.encoder, 'Whisper encoder', 1, 2);
  await requireInterface(files.decoder, 'Whisper decoder', 6, 3);
}
