import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { RIALTO_BIN } from '../support/spawn-rialto.ts';
import { unusedUrl } from '../support/upstream/automatic1111-server.ts';

// #16.5: `rialto doctor` prints the health of the config, the store, every model and the programs engines run,
// and exits 1 on a fault.

function doctor(directory: string): { status: number | null; stdout: string; stderr: string } {
  // The hang guard of spawnSync: a doctor that never ends is killed and fails on its status.
  const result = spawnSync(
    process.execPath,
    [RIALTO_BIN, 'doctor', '--config', join(directory, 'rialto.yaml')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('rialto doctor: exit 0 with every part ok, exit 1 naming a down upstream (redacted) and a missing program', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-doctor-'));
  try {
    mkdirSync(join(directory, 'data', 'models'), { recursive: true });
    copyFileSync(await tinyModelPath(), join(directory, 'data', 'models', 'tiny.gguf'));
    writeFileSync(join(directory, 'rialto.yaml'), 'dataDirectory: ./data\n');
    const healthy = doctor(directory);
    assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
    assert.match(healthy.stdout, /^ok +store /m);
    assert.match(healthy.stdout, /^ok +model tiny +text, llama-cpp/m);

    const down = (await unusedUrl()).replace('http://', 'http://me:s3cret@');
    writeFileSync(
      join(directory, 'rialto.yaml'),
      [
        'dataDirectory: ./data',
        'models:',
        `  - { id: remote, engine: { kind: openai-compatible, endpoints: [{ url: "${down}/v1" }] } }`,
        '  - { id: speech, type: tts, engine: { kind: espeak-ng, command: no-such-espeak-ng-here } }',
        '',
      ].join('\n'),
    );
    const faulty = doctor(directory);
    assert.equal(faulty.status, 1, faulty.stdout + faulty.stderr);
    assert.match(faulty.stdout, /^FAULT +model remote +text, openai-compatible: .*me:\*\*\*@/m);
    assert.match(faulty.stdout, /^FAULT +model speech: no-such-espeak-ng-here +not found/m);
    assert.match(faulty.stdout, /^ok +model tiny /m);
    assert.ok(!faulty.stdout.includes('s3cret'));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
