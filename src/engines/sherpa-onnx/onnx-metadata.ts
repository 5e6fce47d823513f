import { open } from 'node:fs/promises';

/** ModelProto.metadata_props (onnx.proto: `repeated StringStringEntryProto metadata_props = 14`). */
const METADATA_FIELD = 14;
/** Caps on what is read of a file the operator pointed at: fields at the top level, and one entry's bytes. */
const MAX_FIELDS = 10_000;
const MAX_ENTRY_BYTES = 1 << 20;

/** A varint at `offset` of `bytes`: its value and its length; undefined when `bytes` ends inside it. */
function varint(bytes: Uint8Array, offset: number): { value: number; length: number } | undefined {
  let value = 0;
  for (let index = 0; index < 10 && offset + index < bytes.length; index += 1) {
    const byte = bytes[offset + index] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * index);
    if (byte < 0x80) return { value, length: index + 1 };
  }
  return undefined;
}

/** StringStringEntryProto: key = 1, value = 2. */
function entryOf(bytes: Uint8Array): [string, string] {
  const strings = ['', ''];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = varint(bytes, offset);
    if (tag === undefined || tag.value % 8 !== 2) break;
    const size = varint(bytes, offset + tag.length);
    if (size === undefined) break;
    const start = offset + tag.length + size.length;
    const field = Math.floor(tag.value / 8);
    if (field === 1 || field === 2)
      strings[field - 1] = Buffer.from(bytes.subarray(start, start + size.value)).toString('utf8');
    offset = start + size.value;
  }
  return [strings[0] ?? '', strings[1] ?? ''];
}

/**
 * An ONNX model's metadata (what onnxruntime's GetModelMetadata().custom_metadata_map gives sherpa-onnx), read
 * without loading the model: the top-level fields are walked and skipped (the graph's weights are never read),
 * so a 300 MB Kokoro costs a few small reads. Throws an Error for a file that is not a well-formed ModelProto.
 */
export async function readOnnxMetadata(file: string): Promise<Map<string, string>> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const metadata = new Map<string, string>();
    const head = new Uint8Array(20);
    let position = 0;
    for (let fields = 0; position < size; fields += 1) {
      if (fields >= MAX_FIELDS)
        throw new Error(`${file}: more than ${MAX_FIELDS} top-level fields`);
      const { bytesRead } = await handle.read(head, 0, head.length, position);
      const tag = varint(head.subarray(0, bytesRead), 0);
      if (tag === undefined)
        throw new Error(`${file}: not an ONNX model (bad field at byte ${position})`);
      const wireType = tag.value % 8;
      let skip: number;
      let headLength = tag.length;
      if (wireType === 0)
        skip = varint(head.subarray(0, bytesRead), tag.length)?.length ?? Number.NaN;
      else if (wireType === 1) skip = 8;
      else if (wireType === 5) skip = 4;
      else if (wireType === 2) {
        const length = varint(head.subarray(0, bytesRead), tag.length);
        if (length === undefined)
          throw new Error(`${file}: not an ONNX model (bad length at byte ${position})`);
        headLength += length.length;
        skip = length.value;
        if (Math.floor(tag.value / 8) === METADATA_FIELD) {
          if (skip > MAX_ENTRY_BYTES) throw new Error(`${file}: a metadata entry of ${skip} bytes`);
          const entry = new Uint8Array(skip);
          await handle.read(entry, 0, skip, position + headLength);
          const [key, value] = entryOf(entry);
          metadata.set(key, value);
        }
      } else
        throw new Error(`${file}: not an ONNX model (wire type ${wireType} at byte ${position})`);
      if (Number.isNaN(skip) || position + headLength + skip > size)
        throw new Error(
          `${file}: not an ONNX model (a field runs past the end at byte ${position})`,
        );
      position += headLength + skip;
    }
    return metadata;
  } finally {
    await handle.close();
  }
}
