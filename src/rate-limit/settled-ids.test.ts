import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { SettledIds } from './settled-ids.ts';

describe('SettledIds', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('recognises an id recorded within the last window, across a generation swap', () => {
    const ids = new SettledIds(60_000);
    assert.equal(ids.add('a'), true);
    assert.equal(ids.add('a'), false);
    mock.timers.tick(59_999);
    assert.equal(ids.add('b'), true);
    mock.timers.tick(1);
    // 'a' moved to the older generation: still known for at least a window after it was recorded.
    assert.equal(ids.add('a'), false);
    assert.equal(ids.add('b'), false);
  });

  it('forgets ids after two windows, so memory stays bounded', () => {
    const ids = new SettledIds(60_000);
    ids.add('a');
    mock.timers.tick(60_000);
    ids.add('b');
    mock.timers.tick(60_000);
    assert.equal(ids.add('a'), true);
    assert.equal(ids.add('b'), false);
    mock.timers.tick(120_000);
    assert.equal(ids.add('b'), true);
  });
});
