import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VeniceError } from '../../errors/venice-error.ts';
import { IdempotencyCache } from './idempotency-cache.ts';

const DAY = 24 * 60 * 60 * 1000;

function cache(maxBytes = 1000) {
  let now = 0;
  let runs = 0;
  const target = new IdempotencyCache<string>(
    maxBytes,
    (result) => result.length,
    () => now,
  );
  const run = (answer: string) => () => {
    runs += 1;
    return Promise.resolve(answer);
  };
  return { target, run, runs: () => runs, advance: (ms: number) => void (now += ms) };
}

test('the same caller, key and body within 24 hours replays; another body is a 400; another caller runs', async () => {
  const { target, run, runs, advance } = cache();
  assert.deepEqual(await target.once('acct', 'k1', { a: 1 }, run('first')), {
    result: 'first',
    replayed: false,
  });
  assert.deepEqual(await target.once('acct', 'k1', { a: 1 }, run('second')), {
    result: 'first',
    replayed: true,
  });
  await assert.rejects(
    target.once('acct', 'k1', { a: 2 }, run('third')),
    (error) => error instanceof VeniceError && error.status === 400,
  );
  assert.equal((await target.once('other', 'k1', { a: 1 }, run('theirs'))).replayed, false);
  assert.equal(runs(), 2);
  advance(DAY);
  assert.deepEqual(await target.once('acct', 'k1', { a: 2 }, run('next day')), {
    result: 'next day',
    replayed: false,
  });
});

test('a repeat while the first runs waits for it; a failure is forgotten, so its retry runs', async () => {
  const { target, run, runs } = cache();
  let finish: (value: string) => void = () => undefined;
  const slow = target.once(
    'acct',
    'k',
    1,
    () => new Promise<string>((resolve) => (finish = resolve)),
  );
  const repeat = target.once('acct', 'k', 1, run('never'));
  finish('slow');
  assert.deepEqual(await slow, { result: 'slow', replayed: false });
  assert.deepEqual(await repeat, { result: 'slow', replayed: true });
  await assert.rejects(
    target.once('acct', 'bad', 1, () => Promise.reject(new Error('node down'))),
    /node down/,
  );
  assert.deepEqual(await target.once('acct', 'bad', 1, run('retried')), {
    result: 'retried',
    replayed: false,
  });
  assert.equal(runs(), 1, 'the repeat did not run');
});

test('past maxBytes the oldest answers go first', async () => {
  const { target, run } = cache(10);
  await target.once('acct', 'old', 1, run('aaaaaa'));
  await target.once('acct', 'new', 1, run('bbbbbb'));
  assert.equal((await target.once('acct', 'new', 1, run('x'))).replayed, true);
  assert.equal((await target.once('acct', 'old', 1, run('x'))).replayed, false);
});
