import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../engine-error.ts';
import { probeAudio } from './openai-audio-probe.ts';
import { slowWav } from '../../../test/support/tone-wav.ts';

describe('probeAudio caps', () => {
  const folder = mkdtempSync(join(tmpdir(), 'rialto-probe-test-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('stops decoding a second past maxSeconds: 3000 s in 3 KB measure 61 s under a 60 s cap', async () => {
    const path = join(folder, 'slow.wav');
    writeFileSync(path, slowWav(1, 3000));
    const probed = await probeAudio('ffmpeg', path, new AbortController().signal, {
      maxSeconds: 60,
      timeoutSeconds: 60,
    });
    assert.equal(probed.seconds, 61);
    assert.equal((await probeAudio('ffmpeg', path, new AbortController().signal)).seconds, 3000);
  });

  it('kills ffmpeg past timeoutSeconds and rejects with EngineError timeout (an input that never arrives: a FIFO with no writer)', async () => {
    const fifo = join(folder, 'never.wav');
    execFileSync('mkfifo', [fifo]);
    // The client's own signal, far later, only keeps a broken build from hanging.
    const rejection = await probeAudio('ffmpeg', fifo, AbortSignal.timeout(30_000), {
      maxSeconds: 60,
      timeoutSeconds: 1,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(rejection instanceof EngineError, String(rejection));
    assert.equal(rejection.failure, 'timeout');
    assert.match(rejection.message, /Decoding the audio ran past its limit of 1 s/);
  });
});
