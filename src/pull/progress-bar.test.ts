import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgressReporter, renderProgress } from './progress-bar.ts';

describe('renderProgress', () => {
  it('draws a bar with percent, sizes in the total unit and speed', () => {
    const line = renderProgress(
      { receivedBytes: 12_300_000, totalBytes: 27_000_000, bytesPerSecond: 5_100_000 },
      'model.gguf',
    );
    assert.equal(line, 'model.gguf  45% [#########           ] 12.3/27.0 MB  5.1 MB/s');
  });

  it('shows bytes and speed only when the total is unknown', () => {
    const line = renderProgress(
      { receivedBytes: 2_500_000_000, totalBytes: null, bytesPerSecond: 0 },
      'm.gguf',
    );
    assert.equal(line, 'm.gguf  2.5 GB  0 B/s');
  });
});

describe('createProgressReporter', () => {
  it('redraws in place on a TTY and ends the line on finish', () => {
    const written: string[] = [];
    const reporter = createProgressReporter('m.gguf', {
      isTTY: true,
      write: (text: string) => written.push(text),
    });
    reporter.update({ receivedBytes: 1, totalBytes: 2, bytesPerSecond: 1 });
    reporter.update({ receivedBytes: 2, totalBytes: 2, bytesPerSecond: 1 });
    reporter.finish();
    assert.equal(written.length, 3);
    assert.ok(written[0]?.startsWith('\r') && written[1]?.startsWith('\r'));
    assert.match(written[1] ?? '', /100%/);
    assert.equal(written[2], '\n');
  });

  it('prints whole lines, throttled, when not a TTY, and the final state on finish', () => {
    const written: string[] = [];
    const reporter = createProgressReporter(
      'm.gguf',
      { write: (text: string) => written.push(text) },
      60_000,
    );
    reporter.update({ receivedBytes: 1, totalBytes: 4, bytesPerSecond: 1 });
    reporter.update({ receivedBytes: 2, totalBytes: 4, bytesPerSecond: 1 });
    reporter.update({ receivedBytes: 4, totalBytes: 4, bytesPerSecond: 1 });
    reporter.finish();
    assert.equal(written.length, 2);
    assert.match(written[0] ?? '', / 25% .*\n$/);
    assert.match(written[1] ?? '', /100% .*\n$/);
  });
});
