// Issue #15.10c: `rialto balance add` takes plain decimal amounts only, run as the operator runs it: hex and
// exponent spellings, signs, zero, amounts finer than one nano-unit and amounts past what a balance holds are
// refused with a message and exit status 1, and nothing is credited.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RIALTO_BIN } from '../support/spawn-rialto.ts';

function rialto(
  args: string[],
  config: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [RIALTO_BIN, ...args, '--config', config], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('rialto balance add refuses what is not a plain decimal amount within bounds, and credits nothing', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-balance-'));
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(config, 'dataDirectory: ./data\n');
    const refusals: [string[], RegExp][] = [
      [['0x10'], /plain decimal amount/],
      [['1e3'], /plain decimal amount/],
      [['1e-12'], /plain decimal amount/],
      [['--', '-5'], /plain decimal amount/],
      [['0'], /above zero/],
      [['0.0000000001'], /finer than the smallest unit/],
      [['10000000'], /more than a balance holds/],
    ];
    for (const [args, message] of refusals) {
      const result = rialto(['balance', 'add', ...args], config);
      assert.equal(result.status, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
    }
    assert.match(
      rialto(['balance', 'show'], config).stdout,
      /^default {2}USD 0 \(reserved 0\) {2}DIEM 0 /,
    );

    const added = rialto(['balance', 'add', '10.50'], config);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /^default {2}USD 10\.5 \(reserved 0\)/);
    // Each amount fits on its own; the sum past the bound is refused by the store.
    assert.equal(rialto(['balance', 'add', '9007199', '--currency', 'DIEM'], config).status, 0);
    const over = rialto(['balance', 'add', '1', '--currency', 'DIEM'], config);
    assert.equal(over.status, 1);
    assert.match(over.stderr, /DIEM balance of default would pass 9007199\.254740991/);
    assert.match(rialto(['balance', 'show'], config).stdout, /USD 10\.5 .*DIEM 9007199 /);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
