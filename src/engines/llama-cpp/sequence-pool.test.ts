import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../engine-error.ts';
import { SequencePool } from './sequence-pool.ts';

test('lends idle resources, queues up to maxQueue, refuses the next with capacity', async () => {
  const pool = new SequencePool(['a'], 1);
  const signal = new AbortController().signal;
  const first = await pool.acquire(signal);
  const queued = pool.acquire(signal);
  await assert.rejects(
    pool.acquire(signal),
    (error: unknown) => error instanceof EngineError && error.failure === 'capacity',
  );
  assert.equal(pool.queued, 1);
  pool.release(first);
  assert.equal(await queued, 'a');
  assert.equal(pool.busy, 1);
  pool.release('a');
  assert.equal(pool.busy, 0);
});

test('an aborted waiter leaves the queue at once', async () => {
  const pool = new SequencePool(['a'], 4);
  const held = await pool.acquire(new AbortController().signal);
  const controller = new AbortController();
  const waiting = pool.acquire(controller.signal);
  controller.abort();
  await assert.rejects(waiting, EngineError);
  assert.equal(pool.queued, 0);
  pool.release(held);
  assert.equal(pool.busy, 0);
});

test('lends the idle resource ranked highest, the last returned on a tie', async () => {
  const pool = new SequencePool(['a', 'b', 'c'], 0);
  const signal = new AbortController().signal;
  assert.equal(await pool.acquire(signal, (resource) => (resource === 'a' ? 5 : 1)), 'a');
  assert.equal(await pool.acquire(signal, () => 0), 'c');
  pool.release('c');
  pool.release('a');
  assert.equal(await pool.acquire(signal, (resource) => (resource === 'b' ? 0 : 2)), 'a');
  assert.equal(await pool.acquire(signal), 'c');
});
