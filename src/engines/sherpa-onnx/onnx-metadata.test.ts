// readOnnxMetadata: the metadata_props of a real ONNX file (the tiny Kokoro), read without loading its graph;
// a file that is not a ModelProto, or is cut short, is an Error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyKokoroModel, TINY_KOKORO_VOICES } from '../../../test/fixtures/tiny-kokoro.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';

describe('readOnnxMetadata', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rialto-onnx-metadata-'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it("reads Kokoro's keys as onnxruntime's custom_metadata_map has them", async () => {
    const file = join(folder, 'model.onnx');
    await writeFile(file, buildTinyKokoroModel());
    const metadata = await readOnnxMetadata(file);
    assert.equal(metadata.get('model_type'), 'kokoro');
    assert.equal(metadata.get('n_speakers'), String(TINY_KOKORO_VOICES.length));
    assert.equal(metadata.get('speaker_names'), TINY_KOKORO_VOICES.join(','));
    assert.equal(metadata.get('style_dim'), '128,1,8');
  });

  it('text, and a model cut short, are not ONNX models', async () => {
    const text = join(folder, 'text.onnx');
    await writeFile(text, 'this is not protobuf at all');
    await assert.rejects(readOnnxMetadata(text), /not an ONNX model/);
    const cut = join(folder, 'cut.onnx');
    const model = buildTinyKokoroModel();
    await writeFile(cut, model.subarray(0, model.length - 40));
    await assert.rejects(readOnnxMetadata(cut), /runs past the end/);
  });
});
