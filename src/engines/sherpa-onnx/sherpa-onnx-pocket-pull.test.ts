// `rialto pull` of sherpa-onnx's Pocket TTS archives, laid out as .github/workflows/export-pocket-tts.yaml makes
// them (the int8 one: lm_flow.int8.onnx, lm_main.int8.onnx, decoder.int8.onnx beside encoder.onnx and
// text_conditioner.onnx; the float one: every graph as <name>.onnx; both with vocab.json, token_scores.json,
// test_wavs/), holding the tiny Pocket TTS's files and served by a real HTTP server on 127.0.0.1: each unpacks, is
// recognised as the pocket family, and the entry printed for rialto.yaml loads and speaks in an archive sample.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../config.ts';
import { sherpaOnnxEngine } from '../../config/engine-config.ts';
import { pullSherpaOnnxArchive } from '../../pull/sherpa-onnx-pull.ts';
import { tinyPocketTtsFolder } from '../../../test/fixtures/tiny-pocket-tts.ts';
import { startModelFileServer } from '../../../test/support/model-file-server.ts';
import { type ArchiveEntry, tarBz2 } from '../../../test/support/tar-bz2.ts';
import { createSherpaOnnxCloningTtsEngine } from './sherpa-onnx-cloning-tts-engine.ts';

/** The release's file names for the tiny model's files (tiny-pocket-tts.ts writes the int8 archive's names). */
const LAYOUTS = {
  'sherpa-onnx-pocket-tts-int8-2026-01-26': {},
  'sherpa-onnx-pocket-tts-2026-01-26': {
    'lm_flow.int8.onnx': 'lm_flow.onnx',
    'lm_main.int8.onnx': 'lm_main.onnx',
    'decoder.int8.onnx': 'decoder.onnx',
  },
} satisfies Record<string, Record<string, string>>;

async function archiveOf(name: string, renames: Record<string, string>): Promise<Buffer> {
  const folder = await tinyPocketTtsFolder();
  const entries: ArchiveEntry[] = [
    { name: `${name}/`, type: 'directory' },
    {
      name: `${name}/README.md`,
      data: '# Introduction\nSee also https://github.com/kyutai-labs/pocket-tts\n',
    },
    { name: `${name}/LICENSE`, data: 'CC-BY-4.0\n' },
    { name: `${name}/test_wavs/`, type: 'directory' },
  ];
  for (const file of readdirSync(folder))
    if (file !== 'test_wavs')
      entries.push({
        name: `${name}/${renames[file] ?? file}`,
        data: readFileSync(join(folder, file)),
      });
  for (const wav of readdirSync(join(folder, 'test_wavs')))
    entries.push({
      name: `${name}/test_wavs/${wav}`,
      data: readFileSync(join(folder, 'test_wavs', wav)),
    });
  return tarBz2(entries);
}

describe('rialto pull of sherpa-onnx Pocket TTS', () => {
  let parent: string;

  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'rialto-pocket-pull-'));
  });
  after(() => rm(parent, { recursive: true, force: true }));

  for (const [name, renames] of Object.entries(LAYOUTS)) {
    it(`${name}.tar.bz2 unpacks, is pocket, and its entry speaks in an archive sample`, async () => {
      const server = await startModelFileServer(await archiveOf(name, renames));
      const models = join(parent, name, 'models');
      try {
        const result = await pullSherpaOnnxArchive({
          source: `${server.url}/${name}.tar.bz2`,
          modelsDirectory: models,
        });
        assert.equal(result.unpacked, true);
        assert.deepEqual(result.match, { family: 'pocket', type: 'tts' });
        const model = parseConfig(parseYaml(result.entry ?? '')).models[0];
        assert.equal(model?.type, 'tts');
        const config = sherpaOnnxEngine.parse({ ...model?.engine, threads: 1 });
        assert.equal(config.path, name);
        const engine = await createSherpaOnnxCloningTtsEngine(
          config,
          models,
          join(parent, name, 'voices'),
        );
        try {
          assert.deepEqual(engine.voices(name), ['bria', 'loona']);
          const { audio } = await engine.synthesize(
            { model: name, input: 'Hello world.', voice: 'loona', format: 'wav', speed: 1 },
            { signal: new AbortController().signal },
          );
          const chunks: Buffer[] = [];
          for await (const chunk of audio) chunks.push(chunk);
          const wav = Buffer.concat(chunks);
          assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
          assert.ok(wav.length > 44 + 1920 * 2, `${wav.length} bytes`);
        } finally {
          await engine.close();
        }
      } finally {
        await server.close();
      }
    });
  }
});
