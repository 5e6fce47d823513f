// rialto-test: sqlite-only
// `rialto pull` of a Kokoro-shaped sherpa-onnx archive, end to end: the tiny Kokoro fixture (test/fixtures/
// tiny-kokoro.ts) with Debian's espeak-ng-data (English only, to keep the archive small) packed as
// kokoro-multi-lang-v1_0.tar.bz2 (tar-stream + bzip2), served by a real HTTP server on 127.0.0.1, pulled into the
// server's models folder; the printed rialto.yaml entry is used unchanged and POST /audio/speech answers audio.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { pullSherpaOnnxArchive } from '../../src/pull/sherpa-onnx-pull.ts';
import { tinyKokoroFolder } from '../fixtures/tiny-kokoro.ts';
import { type ModelFileServer, startModelFileServer } from '../support/model-file-server.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { folderEntries, tarBz2 } from '../support/tar-bz2.ts';

const NAME = 'kokoro-multi-lang-v1_0';

describe('rialto pull of a Kokoro .tar.bz2, then /audio/speech on its printed entry', () => {
  let dataDirectory: string;
  let server: ModelFileServer;
  let rialto: TestRialto | undefined;
  let entry: string;

  before(async () => {
    const entries = folderEntries(await tinyKokoroFolder(), NAME).filter(
      ({ name }) => !/espeak-ng-data\/[a-z]+_dict$/.test(name) || name.endsWith('/en_dict'),
    );
    server = await startModelFileServer(await tarBz2(entries));
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-kokoro-pull-'));
    const pulled = await pullSherpaOnnxArchive({
      source: `${server.url}/releases/download/tts-models/${NAME}.tar.bz2`,
      modelsDirectory: join(dataDirectory, 'models'),
    });
    assert.equal(pulled.unpacked, true);
    assert.deepEqual(pulled.match, { family: 'kokoro', type: 'tts' });
    entry = pulled.entry ?? '';
  });
  after(async () => {
    await rialto?.close();
    await server.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('unpacks into <models>/kokoro-multi-lang-v1_0 with espeak-ng-data as a real folder, archive deleted', () => {
    assert.deepEqual(readdirSync(join(dataDirectory, 'models')), [NAME]);
    const folder = readdirSync(join(dataDirectory, 'models', NAME)).sort();
    for (const file of [
      'espeak-ng-data',
      'lexicon-us-en.txt',
      'model.onnx',
      'tokens.txt',
      'voices.bin',
    ])
      assert.ok(folder.includes(file), `${file} in ${folder.join(', ')}`);
  });

  it('the printed entry, unchanged, loads through the sherpa-onnx kind and speaks', async () => {
    const config = parseYaml(entry) as { models: Record<string, unknown>[] };
    assert.equal(config.models[0]?.['id'], NAME);
    rialto = await startRialto({ dataDirectory, models: config.models });
    const response = await fetch(`${rialto.baseURL}/audio/speech`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: NAME,
        input: 'Hello world.',
        voice: 'af_heart',
        response_format: 'wav',
      }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    const audio = Buffer.from(await response.arrayBuffer());
    assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.ok(audio.length > 44 + 2 * 1000, `${audio.length} bytes of wav`);
  });
});
