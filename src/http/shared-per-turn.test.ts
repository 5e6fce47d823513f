import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedPerTurn } from './shared-per-turn.ts';

/** A read of a counter per id, recording each call. */
function countingRead() {
  const values = new Map<string, number>();
  const calls: string[] = [];
  const read = async (id: string): Promise<number> => {
    calls.push(id);
    return values.get(id) ?? 0;
  };
  return { values, calls, read };
}

/** Calls `ask` from separate timer callbacks of one turn of the loop (as separate sockets' requests would). */
function inOneTurn<T>(asks: (() => Promise<T>)[]): Promise<T[]> {
  return new Promise((resolve) => {
    const asked: Promise<T>[] = [];
    for (const ask of asks)
      setTimeout(() => {
        asked.push(ask());
        if (asked.length === asks.length) resolve(Promise.all(asked));
      }, 0);
  });
}

describe('sharedPerTurn', () => {
  it('calls for one id in one turn of the loop share one read; other ids get their own', async () => {
    const { values, calls, read } = countingRead();
    values.set('a', 5);
    values.set('b', 7);
    const shared = sharedPerTurn(read);
    const results = await inOneTurn([
      () => shared('a'),
      () => shared('a'),
      () => shared('b'),
      () => shared('a'),
    ]);
    assert.deepEqual(results, [5, 5, 7, 5]);
    assert.deepEqual(calls.sort(), ['a', 'b']);
  });

  it('a call made after the read started gets a new read, which sees what was written since', async () => {
    const { values, calls, read } = countingRead();
    const shared = sharedPerTurn(read);
    values.set('a', 1);
    assert.equal(await shared('a'), 1);
    values.set('a', 2);
    assert.equal(await shared('a'), 2);
    assert.deepEqual(calls, ['a', 'a']);
  });

  it('a failed read fails every caller that shared it, and the next call reads again', async () => {
    let fail = true;
    const shared = sharedPerTurn(async (id: string) => {
      if (fail) throw new Error(`store down for ${id}`);
      return 3;
    });
    const results = await inOneTurn([
      () => shared('a').catch((error: Error) => error.message),
      () => shared('a').catch((error: Error) => error.message),
    ]);
    assert.deepEqual(results, ['store down for a', 'store down for a']);
    fail = false;
    assert.equal(await shared('a'), 3);
  });
});
