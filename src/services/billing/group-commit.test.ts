import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit.ts';

/** A commit that records each batch and waits to be let go, so a test decides when a batch ends. */
function gatedCommit() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const commit = async (items: number[]): Promise<number[]> => {
    batches.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((item) => item * 10);
  };
  const openGate = async (): Promise<void> => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
  };
  return { batches, commit, openGate };
}

describe('GroupCommit', () => {
  it('starts a batch at once when idle, and what arrives meanwhile forms the next one', async () => {
    const { batches, commit, openGate } = gatedCommit();
    const group = new GroupCommit(commit);
    const first = group.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [[1]], 'an idle committer does not wait for company');
    const later = [group.submit(2), group.submit(3), group.submit(4)];
    await openGate();
    assert.equal(await first, 10);
    await openGate();
    assert.deepEqual(await Promise.all(later), [20, 30, 40]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    assert.deepEqual(group.stats, { batches: 2, items: 4 });
  });

  it('items submitted in the same tick share one batch, at most maxBatch each', async () => {
    const { batches, commit, openGate } = gatedCommit();
    const group = new GroupCommit(commit, 2);
    const results = Promise.all([1, 2, 3].map((item) => group.submit(item)));
    await openGate();
    await openGate();
    assert.deepEqual(await results, [10, 20, 30]);
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  it('items submitted by separate callbacks of one turn of the event loop share a batch', async () => {
    // As requests on separate sockets do: each socket's callback runs its microtasks before the next one's, and a
    // SQLite batch commits without I/O, so a batch started in a microtask would hold one item each time.
    const batches: number[][] = [];
    const group = new GroupCommit(async (items: number[]) => {
      batches.push(items);
      return items;
    });
    const results = await new Promise<number[]>((resolve) => {
      const submitted: Promise<number>[] = [];
      // Three immediates queued together run in one check phase (three timers of 0 ms may not: a clock tick
      // between them puts them in two turns, which a loaded machine showed).
      for (const item of [1, 2, 3])
        setImmediate(() => {
          submitted.push(group.submit(item));
          if (submitted.length === 3) resolve(Promise.all(submitted));
        });
    });
    assert.deepEqual(results, [1, 2, 3]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('a failed batch rejects each of its items, and the next batch still runs', async () => {
    let calls = 0;
    const group = new GroupCommit(async (items: number[]) => {
      calls += 1;
      if (calls === 1) throw new Error('store down');
      return items;
    });
    const failed = [group.submit(1), group.submit(2)];
    for (const result of failed) await assert.rejects(result, /store down/);
    assert.equal(await group.submit(3), 3);
  });
});
